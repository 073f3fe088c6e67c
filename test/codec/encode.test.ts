// The encoder's two passes (sizes, then bytes) walk the fields once each; a message that changes
// between them must be refused, never written as a file whose length prefixes lie.
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../src/codec/index.js';
import { makeGraph, makeModel, makeNode, makeOpset } from '../../src/graph/factory.js';

describe('encodeMessageChunks', () => {
  it('refuses a message whose fields change between the size pass and the write pass', () => {
    const node = makeNode({ op_type: 'Relu', input: ['x'], output: ['y'] });
    let reads = 0;
    // Each pass reads `name` once: the first sees a short name, the second a longer one.
    Object.defineProperty(node, 'name', { enumerable: true, get: () => (reads++ === 0 ? 'a' : 'a longer name') });
    const model = makeModel(makeGraph({ node: [node] }), [makeOpset('', 13)]);
    expect(() => encodeModel(model)).toThrow(/encoder passes disagree/);
  });
});
