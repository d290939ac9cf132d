import { test } from '@playwright/test';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

// The mail the server sent, as its SMTP server received it: tests/support/
// with-server.sh runs tests/support/smtp_sink.py, which saves each message as
// N.json in MAIL_SINK_DIR. Every test mails its own random addresses, so
// tests running side by side never read each other's messages.

export interface ReceivedMail {
  rcpt_tos: string[];
  subject: string;
  text: string;
  html: string;
}

const inbox = process.env.MAIL_SINK_DIR;

/** For the tests that follow a mailed link: they need the server's SMTP sink. */
export function needsMail() {
  test.skip(!inbox, 'MAIL_SINK_DIR is not set: run through tests/support/with-server.sh (make test-frontend)');
}

async function received(): Promise<ReceivedMail[]> {
  // N.json in the order received.
  const names = (await readdir(inbox!)).filter((name) => name.endsWith('.json')).sort((a, b) => parseInt(a) - parseInt(b));
  return Promise.all(names.map(async (name) => JSON.parse(await readFile(join(inbox!, name), 'utf8')) as ReceivedMail));
}

/**
 * Every message to `to` whose subject matches, once there are `count` of
 * them (the outbox sends in the background, within seconds).
 */
export async function mailsTo(to: string, subject: RegExp, count = 1, timeoutMs = 20_000): Promise<ReceivedMail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await received()).filter((mail) => mail.rcpt_tos.includes(to) && subject.test(mail.subject));
    if (found.length >= count) return found;
    if (Date.now() > deadline) {
      throw new Error(`${found.length} of ${count} mails to ${to} matching ${subject} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The link of the latest message to `to` whose subject matches, as the mail's text has it. */
export async function linkMailedTo(to: string, subject: RegExp, count = 1): Promise<string> {
  const mails = await mailsTo(to, subject, count);
  const text = mails[mails.length - 1]!.text;
  const link = /https?:\/\/\S+#token=[0-9a-f]+/.exec(text)?.[0];
  if (!link) throw new Error(`no link in the mail to ${to}:\n${text}`);
  return link;
}
