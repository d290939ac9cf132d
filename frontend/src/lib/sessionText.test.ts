import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../api/client';
import { REVOKE_CURRENT_LABEL, agoText, describeUserAgent, revokeLabels } from './sessionText';

const UA = {
  chromeLinux:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  headless:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  chromeIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  firefoxWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
  edgeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36',
  samsung:
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
  chromebook:
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
};

describe('describeUserAgent', () => {
  it('names the browser and the system', () => {
    expect(describeUserAgent(UA.chromeLinux)).toBe('Chrome on Linux');
    expect(describeUserAgent(UA.headless)).toBe('Headless Chrome on Linux');
    expect(describeUserAgent(UA.safariIphone)).toBe('Safari on iPhone');
    expect(describeUserAgent(UA.chromeIphone)).toBe('Chrome on iPhone');
    expect(describeUserAgent(UA.safariMac)).toBe('Safari on macOS');
    expect(describeUserAgent(UA.firefoxWindows)).toBe('Firefox on Windows');
    expect(describeUserAgent(UA.edgeWindows)).toBe('Edge on Windows');
    expect(describeUserAgent(UA.chromeAndroid)).toBe('Chrome on Android');
    expect(describeUserAgent(UA.samsung)).toBe('Samsung Internet on Android');
    expect(describeUserAgent(UA.chromebook)).toBe('Chrome on ChromeOS');
  });

  it('names tools by their product and copes with nothing', () => {
    expect(describeUserAgent('curl/8.5.0')).toBe('curl');
    expect(describeUserAgent('PostmanRuntime/7.39.0')).toBe('PostmanRuntime');
    expect(describeUserAgent('python-requests/2.32.3')).toBe('python-requests');
    expect(describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) SomethingNew/1.0')).toBe('Browser on Linux');
    expect(describeUserAgent('Mozilla/5.0 (compatible)')).toBe('Unknown browser');
    expect(describeUserAgent('')).toBe('Unknown device');
    expect(describeUserAgent('   ')).toBe('Unknown device');
    expect(describeUserAgent('¿?')).toBe('Unknown device');
    expect(describeUserAgent('x'.repeat(256))).toHaveLength(40);
  });
});

describe('agoText', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  const relative = (iso: string) => `relative(${iso})`;
  it('says "just now" for the first seconds', () => {
    expect(agoText('2026-11-26T11:59:55Z', now, relative)).toBe('just now');
    expect(agoText('2026-11-26T12:00:30Z', now, relative)).toBe('just now'); // clock skew
    expect(agoText('2026-11-26T11:59:00Z', now, relative)).toBe('relative(2026-11-26T11:59:00Z)');
  });
});

let n = 0;
function session(overrides: Partial<SessionInfo> = {}): SessionInfo {
  n++;
  return {
    id: `session-id-${String(n).padStart(8, '0')}`,
    created_at: '2026-11-26T11:00:00Z',
    last_seen_at: '2026-11-26T11:30:00Z',
    ip: '203.0.113.9',
    user_agent: UA.chromeLinux,
    current: false,
    ...overrides,
  };
}

describe('revokeLabels', () => {
  const time = (iso: string) => iso.slice(11, 16);
  it('names each row by device and IP, and the current one as a logout', () => {
    const current = session({ current: true });
    const phone = session({ user_agent: UA.safariIphone, ip: '198.51.100.7' });
    const laptop = session({ user_agent: UA.firefoxWindows });
    const labels = revokeLabels([current, phone, laptop], time);
    expect(labels.get(current.id)).toBe(REVOKE_CURRENT_LABEL);
    expect(labels.get(phone.id)).toBe('Revoke session from Safari on iPhone 198.51.100.7');
    expect(labels.get(laptop.id)).toBe('Revoke session from Firefox on Windows 203.0.113.9');
  });

  it('keeps names unique when rows read the same', () => {
    const rows = [
      session({ current: true }),
      session({ created_at: '2026-11-26T10:00:00Z' }),
      session({ created_at: '2026-11-26T09:00:00Z' }),
      session({ created_at: '2026-11-26T09:00:00Z' }),
      session({ user_agent: UA.safariMac }),
    ];
    const labels = [...revokeLabels(rows, time).values()];
    expect(new Set(labels).size).toBe(rows.length);
    expect(labels).toEqual([
      REVOKE_CURRENT_LABEL,
      'Revoke session from Chrome on Linux 203.0.113.9, signed in 10:00',
      'Revoke session from Chrome on Linux 203.0.113.9, signed in 09:00 (1)',
      'Revoke session from Chrome on Linux 203.0.113.9, signed in 09:00 (2)',
      'Revoke session from Safari on macOS 203.0.113.9',
    ]);
  });
});
