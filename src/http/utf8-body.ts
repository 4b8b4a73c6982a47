import { isUtf8 } from 'node:buffer';
import { HttpProblem } from './problem';

/**
 * Refuses (400 BODY_NOT_UTF8) a body that is not well-formed UTF-8, naming the first byte at fault. JSON
 * travels as UTF-8 (RFC 8259); decoding anything else would silently turn its bytes into U+FFFD.
 */
export function requireUtf8(body: Buffer): void {
  if (isUtf8(body)) return;
  const at = firstMalformed(body);
  const byte = `0x${(body[at] ?? 0).toString(16).toUpperCase().padStart(2, '0')}`;
  throw new HttpProblem(
    400,
    'BODY_NOT_UTF8',
    `the body is not valid UTF-8: the sequence at byte offset ${at} (starting ${byte}) is malformed; ` +
      'JSON is read as UTF-8 whatever the charset parameter says, so send it encoded that way',
    { offset: at },
  );
}

// Offset of the first byte that does not start a well-formed sequence (Unicode Table 3-7).
function firstMalformed(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const lead = b[i] as number;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const shape = sequenceShape(lead);
    if (!shape) return i;
    const [length, secondMin, secondMax] = shape;
    for (let k = 1; k < length; k++) {
      const next = b[i + k];
      const [min, max] = k === 1 ? [secondMin, secondMax] : [0x80, 0xbf];
      if (next === undefined || next < min || next > max) return i;
    }
    i += length;
  }
  return b.length;
}

// The length of a sequence led by `lead` and the range its second byte must fall in.
function sequenceShape(lead: number): [number, number, number] | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return [2, 0x80, 0xbf];
  if (lead === 0xe0) return [3, 0xa0, 0xbf];
  if (lead === 0xed) return [3, 0x80, 0x9f];
  if (lead >= 0xe1 && lead <= 0xef) return [3, 0x80, 0xbf];
  if (lead === 0xf0) return [4, 0x90, 0xbf];
  if (lead >= 0xf1 && lead <= 0xf3) return [4, 0x80, 0xbf];
  if (lead === 0xf4) return [4, 0x80, 0x8f];
  return undefined;
}
