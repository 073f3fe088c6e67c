/**
 * Shallow copies of messages, the one way to copy a message before changing some of its fields.
 * Decoded messages keep absent fields on their prototype (schema defaults, shared frozen arrays) and the
 * unknown fields protobufjs read in a non-enumerable `$unknowns`: a copy keeps both, so it reads and
 * encodes as the original does, unknown fields included. Object spread or Object.assign alone would
 * lose the prototype or the unknown fields.
 */

/** A shallow copy of `message` (same prototype, every own field including `$unknowns`), with `fields` set over it. */
export function copyMessage<T extends object>(message: T, fields?: Partial<T>): T {
  const copy = Object.create(Object.getPrototypeOf(message) as object, Object.getOwnPropertyDescriptors(message)) as T;
  return fields ? Object.assign(copy, fields) : copy;
}
