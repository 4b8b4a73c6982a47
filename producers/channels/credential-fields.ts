import type { ChannelName } from './channel-types';
import { TELEGRAM_SECRET_TOKEN_PATTERN } from './telegram';

/** One credential a channel adapter reads from the tenant's stored channel settings. */
export interface CredentialField {
  name: string;
  required: boolean;
  /** Shown masked by `waggle channels show`. */
  secret: boolean;
  description: string;
  /** Extra check of the value; returns what is wrong, or undefined. */
  check?: (value: string) => string | undefined;
}

/** What each channel needs stored per tenant (`waggle channels set <tenant> <channel> name=value …`). */
export const CREDENTIAL_FIELDS: Record<ChannelName, readonly CredentialField[]> = {
  webchat: [],
  whatsapp: [
    {
      name: 'appSecret',
      required: true,
      secret: true,
      description: 'Meta App Secret: key of X-Hub-Signature-256',
    },
    {
      name: 'verifyToken',
      required: true,
      secret: true,
      description: 'token Meta echoes in hub.verify_token',
    },
    { name: 'accessToken', required: false, secret: true, description: 'Bearer token that sends messages' },
    {
      name: 'apiVersion',
      required: false,
      secret: false,
      description: 'Graph API version in send URLs (default v23.0)',
      check: (v) => (/^v\d+\.\d+$/.test(v) ? undefined : 'is not a Graph API version like v23.0'),
    },
  ],
  slack: [
    {
      name: 'signingSecret',
      required: true,
      secret: true,
      description: 'Signing Secret: key of X-Slack-Signature',
    },
    {
      name: 'botToken',
      required: false,
      secret: true,
      description: 'bot token (xoxb-…) for chat.postMessage',
    },
  ],
  telegram: [
    {
      name: 'secretToken',
      required: true,
      secret: true,
      description: 'secret_token given to setWebhook (X-Telegram-Bot-Api-Secret-Token)',
      check: (v) =>
        TELEGRAM_SECRET_TOKEN_PATTERN.test(v) ? undefined : 'must be 1-256 characters of A-Z a-z 0-9 _ -',
    },
    { name: 'botToken', required: false, secret: true, description: 'bot token from @BotFather, to send' },
  ],
};

/** Every problem with a channel's credential set: unknown names, missing required fields, bad values. */
export function credentialProblems(channel: ChannelName, values: Record<string, string>): string[] {
  const fields = CREDENTIAL_FIELDS[channel];
  const problems: string[] = [];
  for (const name of Object.keys(values)) {
    if (!fields.some((f) => f.name === name)) {
      const known = fields.map((f) => f.name).join(', ') || '(none)';
      problems.push(`"${name}" is not a credential of this channel; known: ${known}`);
    }
  }
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined || value === '') {
      if (field.required) problems.push(`${field.name} is required (${field.description})`);
      continue;
    }
    const wrong = field.check?.(value);
    if (wrong) problems.push(`${field.name} ${wrong}`);
  }
  return problems;
}

/** A secret shown as its last 4 characters only. */
export function maskSecret(value: string): string {
  return value.length <= 8 ? '****' : `****${value.slice(-4)}`;
}
