import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { operation } from '../../infrastructure/http/contract/operation.js';
import { contentSecurityPolicy } from '../../infrastructure/http/security-headers.js';

/**
 * The pages the links in the ledger's mails open (`/verify-email`, `/accept-invite`, `/reset-password`), until the
 * console serves its own: one small HTML page each, with no external asset and a strict Content-Security-Policy (the
 * one script and the one style allowed by their hashes, requests to the ledger's own origin only, no form posted by
 * the browser, no framing). The script reads the token from the address, takes it out of the address bar and history,
 * and POSTs it with what the form asks for to the API, then says whether it worked. The token never reaches the
 * server in a GET it would log: the request log keeps paths only, and the page asks for nothing with the token in it.
 */

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;cursor:pointer}
#status{margin-top:1.2rem;padding:.8rem;border-radius:.3rem}#status:empty{display:none}
.ok{background:#e6f4ea;color:#0d5223}.error{background:#fce8e6;color:#8a1c12}.pending{background:#eef2f7}
`;

/** The one script of every page: its behaviour comes from the form's data attributes. */
const SCRIPT = `
(() => {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || new URLSearchParams(location.hash.slice(1)).get('token');
  // The token leaves the address bar and the history at once.
  if (location.search || location.hash) history.replaceState(null, '', location.pathname);
  const status = document.getElementById('status');
  const show = (kind, text) => { status.className = kind; status.textContent = text; status.dataset.outcome = kind; };
  for (const form of document.querySelectorAll('form')) {
    const needsToken = form.dataset.token === 'required';
    form.hidden = needsToken !== Boolean(token);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = needsToken ? { token } : {};
      for (const input of form.querySelectorAll('input[name]')) if (input.name !== 'confirm') body[input.name] = input.value;
      const confirm = form.querySelector('input[name=confirm]');
      if (confirm && confirm.value !== body.password) return show('error', 'The two passwords are not the same.');
      const button = form.querySelector('button');
      button.disabled = true;
      show('pending', 'One moment…');
      try {
        const answer = await fetch(form.dataset.api, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          credentials: 'omit',
        });
        if (answer.ok) {
          form.hidden = true;
          return show('ok', form.dataset.done);
        }
        const problem = await answer.json().catch(() => ({}));
        const said = (problem.errors || []).map((e) => e.field + ': ' + e.message).join('; ') || problem.detail || '';
        const text =
          answer.status === 410 ? 'This link has expired. ' + form.dataset.expired
          : answer.status === 422 ? 'This link is not valid, or it was used already. ' + form.dataset.expired
          : answer.status === 429 ? 'Too many attempts. Wait a while, then try again.'
          : 'It did not work (' + answer.status + '). ' + said;
        show('error', text);
      } catch {
        show('error', 'The ledger could not be reached. Check your connection and try again.');
      }
      button.disabled = false;
    });
  }
  if (!token && ![...document.querySelectorAll('form')].some((f) => !f.hidden))
    show('error', 'This link has no token. Open the link from the mail exactly as it was sent.');
})();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Only the page's own style and script, and requests to where it came from. */
const PAGE_POLICY = {
  'default-src': ["'none'"],
  'script-src': [sha256(SCRIPT)],
  'style-src': [sha256(STYLE)],
  'connect-src': ["'self'"],
  'form-action': ["'none'"],
};

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

interface Field {
  name: string;
  label: string;
  type: 'text' | 'password' | 'email';
  autocomplete: string;
  minlength?: number;
}

interface Form {
  /** Whether the form is for a link with a token (the usual), or for one without. */
  token: 'required' | 'none';
  /** The API route, relative to the page (so that a PUBLIC_URL with a path prefix works). */
  api: string;
  fields: Field[];
  submit: string;
  done: string;
  expired: string;
}

function page(title: string, intro: string, forms: Form[]): string {
  const formHtml = forms
    .map(
      (
        form,
      ) => `<form data-token="${form.token}" data-api="${escape(form.api)}" data-done="${escape(form.done)}" data-expired="${escape(form.expired)}" hidden>
${form.fields
  .map(
    (f) =>
      `<label for="${f.name}-${form.token}">${escape(f.label)}</label><input id="${f.name}-${form.token}" name="${f.name}" type="${f.type}" autocomplete="${f.autocomplete}" required${f.minlength ? ` minlength="${f.minlength}"` : ''}>`,
  )
  .join('\n')}
<button type="submit">${escape(form.submit)}</button>
</form>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escape(title)} · Compliance Ledger</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escape(title)}</h1>
<p>${escape(intro)}</p>
${formHtml}
<div id="status" role="status" aria-live="polite"></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const PASSWORD: Field = {
  name: 'password',
  label: 'New password (at least 12 characters)',
  type: 'password',
  autocomplete: 'new-password',
  minlength: 12,
};
const CONFIRM: Field = {
  name: 'confirm',
  label: 'The same password again',
  type: 'password',
  autocomplete: 'new-password',
  minlength: 12,
};

const PAGES = {
  '/verify-email': page('Confirm your email address', 'Confirm the address this mail was sent to, then log in.', [
    {
      token: 'required',
      api: 'api/v1/auth/verify-email',
      fields: [],
      submit: 'Confirm my email address',
      done: 'Your email address is confirmed. You can log in now.',
      expired: 'Reset your password (/reset-password): the reset link confirms the address too.',
    },
  ]),
  '/accept-invite': page('Accept your invitation', 'Choose the name others will see and your password.', [
    {
      token: 'required',
      api: 'api/v1/users/accept-invite',
      fields: [{ name: 'name', label: 'Your name', type: 'text', autocomplete: 'name' }, PASSWORD, CONFIRM],
      submit: 'Accept the invitation',
      done: 'The invitation is accepted. Log in with your email address and this password.',
      expired: 'Ask whoever invited you for a new invitation.',
    },
  ]),
  '/reset-password': page('Reset your password', 'Choose a new password. Every session of the account ends.', [
    {
      token: 'required',
      api: 'api/v1/auth/reset-password',
      fields: [PASSWORD, CONFIRM],
      submit: 'Change my password',
      done: 'Your password is changed and every session has ended. Log in with the new password.',
      expired: 'Ask for a new link: open this page without the link (/reset-password) and give your address.',
    },
    {
      token: 'none',
      api: 'api/v1/auth/reset-password/request',
      fields: [{ name: 'email', label: 'Your email address', type: 'email', autocomplete: 'email' }],
      submit: 'Mail me a reset link',
      done: 'If the address has an account, a reset link is on its way. It works once, for one hour.',
      expired: '',
    },
  ]),
} as const;

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/** The pages as operations of the document, at the root where the mails' links point. */
export function accountPages() {
  const summaries: Record<keyof typeof PAGES, string> = {
    '/verify-email': 'The page the verification mail links to: confirms the address (POST /api/v1/auth/verify-email)',
    '/accept-invite': 'The page the invitation mail links to: accepts it (POST /api/v1/users/accept-invite)',
    '/reset-password':
      'The page the reset mail links to: sets a new password (POST /api/v1/auth/reset-password); without a token, asks for a link',
  };
  return (Object.keys(PAGES) as Array<keyof typeof PAGES>).map((path) =>
    operation({
      operationId: `${path.slice(1).replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Page`,
      method: 'get',
      path,
      tags: ['pages'],
      summary: summaries[path],
      description:
        'An HTML page with no external asset; its script reads ?token= (or #token=) from the address, removes it from the address bar, and POSTs it to the API route named.',
      access: 'public',
      query: z.object({
        token: z.string().max(512).optional().describe("the mail's token; read by the page's script, never logged"),
      }),
      answers: { 200: { description: 'The page', files: { 'text/html': null } } },
      before: [noStore, contentSecurityPolicy(PAGE_POLICY)],
      handler(_req, res) {
        res.type('text/html; charset=utf-8').send(PAGES[path]);
      },
    }),
  );
}
