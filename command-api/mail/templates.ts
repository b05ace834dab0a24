import type { Mail } from '../../infrastructure/mail/mailer.js';

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(
  title: string,
  paragraphs: string[],
  action: { label: string; url: string },
): Pick<Mail, 'text' | 'html'> {
  return {
    text: `${paragraphs.join('\n\n')}\n\n${action.label}: ${action.url}\n`,
    html: `<!doctype html><html><body style="font-family:sans-serif;max-width:36em">
<h2>${escape(title)}</h2>${paragraphs.map((p) => `<p>${escape(p)}</p>`).join('')}
<p><a href="${escape(action.url)}">${escape(action.label)}</a></p>
<p style="color:#666;font-size:small">If you did not expect this message, ignore it.</p></body></html>`,
  };
}

export function verificationMail(to: { email: string; name: string }, organization: string, url: string): Mail {
  return {
    to: to.email,
    subject: 'Confirm your email for Compliance Ledger',
    ...layout(
      'Confirm your email',
      [
        `Hello ${to.name},`,
        `You registered ${organization} on Compliance Ledger. Confirm your email address to log in. The link works for 24 hours.`,
      ],
      { label: 'Confirm my email', url },
    ),
  };
}

export function invitationMail(to: string, organization: string, role: string, url: string): Mail {
  return {
    to,
    subject: `You are invited to ${organization} on Compliance Ledger`,
    ...layout(
      'You are invited',
      [
        `${organization} invites you to Compliance Ledger as ${role.replace('_', ' ')}.`,
        'Choose your name and password to accept. The link works for 7 days.',
      ],
      {
        label: 'Accept the invitation',
        url,
      },
    ),
  };
}

export function passwordResetMail(to: string, url: string): Mail {
  return {
    to,
    subject: 'Reset your Compliance Ledger password',
    ...layout(
      'Reset your password',
      [
        'Someone asked to reset the password of this account. The link works once, for one hour, and logs you out everywhere.',
      ],
      {
        label: 'Choose a new password',
        url,
      },
    ),
  };
}

/** To the owner of an address someone tried to register again: registration itself answers as for a new address. */
export function accountExistsMail(to: string, resetUrl: string): Mail {
  return {
    to,
    subject: 'Your Compliance Ledger account',
    ...layout(
      'You already have an account',
      [
        'Someone, perhaps you, tried to register a new organization on Compliance Ledger with this address. It already belongs to an account, so nothing was created.',
        'If it was you, log in with this address. If you forgot your password, you can choose a new one.',
      ],
      { label: 'Reset my password', url: resetUrl },
    ),
  };
}
