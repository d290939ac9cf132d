import specText from '../../../openapi/openapi.json?raw';
import { describe, expect, it } from 'vitest';
import { EMAIL_MAX, NAME_MAX, PASSWORD_MAX_BYTES, STATUS_MAX } from './text';

// The forms' limits copy the server's: the spec the server publishes says
// what they are, so a change on either side fails here.
const spec = JSON.parse(specText) as {
  components: { schemas: Record<string, { properties: Record<string, { maxLength?: number }> }> };
};
const maxLength = (schema: string, field: string) => spec.components.schemas[schema]?.properties[field]?.maxLength;

describe('limits', () => {
  it('match maxLength in openapi/openapi.json', () => {
    expect(NAME_MAX).toBe(maxLength('Registration', 'name'));
    expect(STATUS_MAX).toBe(maxLength('NewStatus', 'text'));
    expect(EMAIL_MAX).toBe(maxLength('Registration', 'email'));
    expect(PASSWORD_MAX_BYTES).toBe(maxLength('Registration', 'password'));
  });
});
