/**
 * Builds the name lexicon the PERSON recognizer looks capitalised words up in
 * (domain/prompt-analysis/detection/recognizers/name-lexicon.data.ts), from the per-locale given-name and family-name
 * lists of @faker-js/faker (MIT; a dev dependency only: the engine reads the generated file, never the package).
 * Names written in Latin script are kept as written and without their diacritics ("Müller" and "Muller"); Russian and
 * Ukrainian names are transliterated; a short table below adds the romanised names of locales whose lists are written
 * in their own scripts (Chinese, Japanese, Korean, Arabic). Run after upgrading the package:
 *   npx tsx scripts/build-name-lexicon.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as faker from '@faker-js/faker';
import type { LocaleDefinition } from '@faker-js/faker';
import * as prettier from 'prettier';

const LOCALES = [
  'af_ZA', 'cs_CZ', 'da', 'de', 'de_AT', 'de_CH', 'en', 'en_AU', 'en_GH', 'en_HK', 'en_IN', 'en_NG', 'en_NP', 'en_ZA',
  'es', 'es_MX', 'fi', 'fr', 'fr_BE', 'fr_CH', 'fr_SN', 'hr', 'hu', 'id_ID', 'it', 'lv', 'nb_NO', 'nl', 'nl_BE', 'pl',
  'pt_BR', 'pt_PT', 'ro', 'ro_MD', 'sk', 'sl_SI', 'sv', 'tr', 'vi', 'yo_NG', 'zu_ZA', 'ru', 'uk',
] as const; // prettier-ignore

/** Romanised names for locales whose lists are in their own scripts: the most common ones, from general knowledge. */
const ROMANISED_FAMILY = `Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo Zheng Liang Xie
Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng Wei Su Lu Ding Ren Shen Yao Jin
Fu Zhong Cui Tan Liao Fan Shi Qian Kong Bai Xiong Mao Qiu Qin Gu Hou Shao Meng Long Wan Duan Lei Qi Hao Kim Lee Park
Choi Jung Jeong Kang Cho Yoon Yun Jang Lim Shin Seo Kwon Hwang Ahn Song Hong Jeon Ko Moon Yang Son Bae Baek Heo Nam
Oh Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki Yamaguchi
Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe Ikeda Hashimoto Yamashita Ishikawa Nakajima Maeda Fujita
Ogawa Goto Okada Hasegawa Murakami Kondo Ishii Saito Sakamoto Endo Aoki Fujii Nishimura Fukuda Ota Miura Okamoto
Matsuda Nakagawa Khan Ahmed Ali Hussain Hassan Hussein Rahman Abdullah Ibrahim Mahmoud Mohamed Haddad Khalil Saleh
Nasser Mansour Aziz Karim Qureshi Chaudhry Malik Sheikh Siddiqui Al-Sayed Farouk Haddad Nguyen Tran Le Pham Hoang
Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly`;
const ROMANISED_GIVEN = `Wei Fang Jing Li Min Lei Jun Yan Hui Ying Hong Xin Ling Ping Hua Tao Qiang Yong Jie Ming Chao Bo
Xiaoming Xiaoling Jian Zhiwei Haoran Yuxuan Zihan Yichen Mei Lan Jia Hao Chen Ji-woo Min-jun Seo-yeon Ji-hoon Hyun
Soo-jin Jae Young Hiroshi Takashi Kenji Yuki Yuko Akira Haruto Sota Yuto Haruki Riku Kaito Hina Yui Aoi Sakura Yuna
Kenta Daiki Naoki Keiko Yoko Tomoko Akiko Emi Mai Aiko Mohammed Mohamed Muhammad Ahmed Ahmad Ali Omar Umar Hassan
Hussein Ibrahim Youssef Yusuf Khalid Mahmoud Mustafa Abdullah Tariq Karim Samir Nabil Rami Fatima Aisha Ayesha Maryam
Mariam Zainab Khadija Layla Leila Noor Nour Amina Yasmin Salma Huda Rania Hana Sara Imran Faisal Bilal Hamza Zaid
Anh Linh Minh Thao Trang Huong Lan Mai Tuan Dung Hung Nam Long Quang Thanh Hieu Duc`;

const LATIN_NAME = /^\p{Lu}\p{Ll}+(?:[-'’]\p{Lu}?\p{Ll}+)*$/u;
const CYRILLIC: Record<string, string> = Object.fromEntries(
  [
    ...'абвгдезийклмнопрстуфыэ'.split('').map((c, i) => [c, 'abvgdeziyklmnoprstufye'[i]!]),
    ['ё', 'yo'], ['ж', 'zh'], ['х', 'kh'], ['ц', 'ts'], ['ч', 'ch'], ['ш', 'sh'], ['щ', 'shch'], ['ъ', ''], ['ь', ''],
    ['ю', 'yu'], ['я', 'ya'], ['і', 'i'], ['ї', 'yi'], ['є', 'ye'], ['ґ', 'g'],
  ], // prettier-ignore
);

function transliterate(name: string): string {
  const latin = [...name.toLowerCase()].map((c) => CYRILLIC[c] ?? c).join('');
  return latin.charAt(0).toUpperCase() + latin.slice(1);
}

const fold = (name: string) => name.normalize('NFD').replace(/\p{M}/gu, '');

function namesOf(list: unknown): string[] {
  if (!list) return [];
  return (Array.isArray(list) ? list : Object.values(list as Record<string, string[]>).flat()) as string[];
}

function add(into: Set<string>, raw: string, cyrillic: boolean) {
  for (const part of raw.split(/\s+/)) {
    const name = cyrillic ? transliterate(part) : part;
    if (name.length < 2 || !LATIN_NAME.test(name)) continue;
    into.add(name);
    if (LATIN_NAME.test(fold(name))) into.add(fold(name));
  }
}

const given = new Set<string>();
const family = new Set<string>();
const definitions = faker as unknown as Record<string, LocaleDefinition>;
for (const locale of LOCALES) {
  const person = definitions[locale]?.person;
  const cyrillic = locale === 'ru' || locale === 'uk';
  for (const name of namesOf(person?.first_name)) add(given, name, cyrillic);
  for (const name of namesOf(person?.middle_name)) if (locale !== 'ru' && locale !== 'uk') add(given, name, cyrillic);
  for (const name of namesOf(person?.last_name)) add(family, name, cyrillic);
}
for (const name of ROMANISED_GIVEN.split(/\s+/)) add(given, name, false);
for (const name of ROMANISED_FAMILY.split(/\s+/)) add(family, name, false);

const { version } = JSON.parse(
  readFileSync(new URL('../node_modules/@faker-js/faker/package.json', import.meta.url), 'utf8'),
) as { version: string };
// Names that are also English words or places ("Grace", "Bell", "Austin", "Georgia"): a person only beside another name.
const english = faker.en;
const common = new Set<string>();
for (const word of Object.values(english.word ?? {}).flat() as string[])
  common.add(word.charAt(0).toUpperCase() + word.slice(1));
for (const place of [
  english.location?.city_name,
  english.location?.state,
  english.location?.country,
].flat() as string[])
  if (place && !/\s/.test(place)) common.add(place); // "Austin", "Georgia"; not "Santa Maria"'s "Maria"
const ambiguous = new Set([...common].filter((word) => given.has(word) || family.has(word)));

const sorted = (set: Set<string>) => [...set].sort().join(' ');
const target = new URL('../domain/prompt-analysis/detection/recognizers/name-lexicon.data.ts', import.meta.url);
const source =
  `// Generated by scripts/build-name-lexicon.ts from @faker-js/faker ${version} (MIT): do not edit.\n` +
  `export const GIVEN_NAMES = ${JSON.stringify(sorted(given))};\n` +
  `export const FAMILY_NAMES = ${JSON.stringify(sorted(family))};\n` +
  `export const AMBIGUOUS_NAMES = ${JSON.stringify(sorted(ambiguous))};\n`;
const options = await prettier.resolveConfig(target.pathname);
writeFileSync(target, await prettier.format(source, { ...options, parser: 'typescript' }));
console.log(`${given.size} given names, ${family.size} family names, ${ambiguous.size} also words or places`);
