/**
 * An optional policy drafter: any OpenAI-compatible chat completions endpoint (POLICY_LLM_URL). It rewrites the
 * template generator's draft for the company, keeping its sections and requirement traces. Without the variables
 * the ledger uses the deterministic template generator alone.
 */
export interface LlmDrafterOptions {
  url: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
}

export class DrafterUnavailableError extends Error {
  override readonly name = 'DrafterUnavailableError';
}

const INSTRUCTIONS = [
  'You are a compliance writer. Rewrite the policy draft you are given for the company described, in clear plain English.',
  'Keep every section heading, keep every line that starts with "> Traces to" exactly as it is, and add no new obligations.',
  'Answer with the policy in Markdown only, starting with its "# " title.',
].join(' ');

export function openAiCompatibleDrafter(options: LlmDrafterOptions) {
  return {
    name: 'openai-compatible',
    version: options.model,
    async draft(templateDraft: string, context: unknown): Promise<string> {
      let response: Response;
      try {
        response = await fetch(`${options.url.replace(/\/$/, '')}/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify({
            model: options.model,
            temperature: 0,
            messages: [
              { role: 'system', content: INSTRUCTIONS },
              {
                role: 'user',
                content: `Company context (JSON): ${JSON.stringify(context)}\n\nDraft:\n\n${templateDraft}`,
              },
            ],
          }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        throw new DrafterUnavailableError(`The policy drafter did not answer: ${(error as Error).message}`);
      }
      if (!response.ok) throw new DrafterUnavailableError(`The policy drafter answered ${response.status}`);
      const body = (await response.json().catch(() => undefined)) as
        { choices?: Array<{ message?: { content?: string } }> } | undefined;
      const content = body?.choices?.[0]?.message?.content?.trim();
      if (!content || !content.startsWith('# '))
        throw new DrafterUnavailableError('The policy drafter returned no Markdown policy');
      return `${content}\n`;
    },
  };
}

export type PolicyDrafter = ReturnType<typeof openAiCompatibleDrafter>;
