import type { Entry, Message } from "../../src/index.js";
export declare const goldenMessages: readonly {
  name: string;
  message: Message;
  hex: string;
}[];
/** A command entry record at the largest index the format allows (2^53-1: eight varint bytes). */
export declare const goldenEntry: {
  entry: Entry;
  hex: string;
};
export declare function fromHex(hex: string): Uint8Array;
export declare function toHex(bytes: Uint8Array): string;
//# sourceMappingURL=golden.d.ts.map
