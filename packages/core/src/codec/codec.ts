// The Flotilla wire format, version 1: how a Message (and a standalone log Entry) becomes bytes.
// Every transport shares it; storage uses the entry record. This comment is the specification: a
// second implementation should be writable from it alone.
//
// Header (every encoding starts with these 4 bytes)
//
//   | offset | field   | encoding                                                       |
//   |--------|---------|----------------------------------------------------------------|
//   | 0      | magic   | 0x46 0x4C ("FL")                                               |
//   | 2      | version | 1 byte, 0x01                                                   |
//   | 3      | tag     | 1 byte: 1-9 a message type (below), 16 a standalone entry      |
//
// then the body for the tag, its fields in the order listed, nothing between them and nothing
// after the last (trailing bytes are an error).
//
// Primitives
//
//   | name       | encoding                                                                    |
//   |------------|-----------------------------------------------------------------------------|
//   | uint       | unsigned LEB128: 7 bits per byte, least significant group first, high bit   |
//   |            | set on every byte but the last. 1 to 8 bytes, value at most 2^53-1. Only    |
//   |            | the shortest form is valid: a last byte of 0x00 is allowed only as the      |
//   |            | whole encoding of 0.                                                        |
//   | bool       | 1 byte: 0x00 false, 0x01 true; any other byte is invalid                    |
//   | id         | uint byte length (at least 1), then that many bytes of UTF-8, which must be |
//   |            | valid (no overlong forms, no surrogates); a leading U+FEFF is part of the id |
//   | bytes      | uint length, then the raw bytes                                             |
//   | list<T>    | uint count, then count items of T                                           |
//   | membership | voters list<id>, learners list<id>, joint 1 byte (0 not joint, 1 joint left |
//   |            | automatically, 2 joint left on request), then outgoing list<id> only if     |
//   |            | joint (joint consensus, thesis §4.3)                                        |
//   | entry      | kind 1 byte (0 command, 1 noop, 2 membership), index uint, term uint, then  |
//   |            | command: data bytes; noop: nothing; membership: membership                  |
//   | envelope   | from id, to id, term uint                                                   |
//
// Bodies
//
//   | tag | message                 | fields after the envelope                                |
//   |-----|-------------------------|----------------------------------------------------------|
//   | 1   | requestVote             | kind 1 byte (0 vote, 1 pre-vote, 2 transfer vote),       |
//   |     |                         | lastLogIndex uint, lastLogTerm uint                      |
//   | 2   | requestVoteResponse     | preVote bool, granted bool                               |
//   | 3   | appendEntries           | prevLogIndex uint, prevLogTerm uint, leaderCommit uint,  |
//   |     |                         | seq uint, entries list<entry>                            |
//   | 4   | appendEntriesResponse   | seq uint, success bool, then if success: matchIndex uint |
//   |     |                         | else: conflictIndex uint, conflictTerm uint              |
//   | 5   | installSnapshot         | snapshotIndex uint, snapshotTerm uint, membership,       |
//   |     |                         | size uint, checksum uint, offset uint, done bool,        |
//   |     |                         | seq uint, data bytes                                     |
//   | 6   | installSnapshotResponse | snapshotIndex uint, receivedBytes uint, done bool,       |
//   |     |                         | seq uint                                                 |
//   | 7   | timeoutNow              | nothing                                                  |
//   | 8   | readIndexRequest        | requestId uint                                           |
//   | 9   | readIndexResponse       | requestId uint, success bool, then if success:           |
//   |     |                         | readIndex uint                                           |
//   | 10  | snapshotRequest         | snapshotIndex uint                                       |
//   | 16  | (standalone entry)      | entry, with no envelope                                  |
//
// Tags 7-10 and the vote kind 2 (leadership transfer, thesis §3.10; read index, §6.4; a lost
// snapshot asked for again) came after the
// first release of version 1: they only add encodings that release refused as malformed (an unknown tag, a bool
// byte other than 0 or 1), so every earlier encoding keeps its meaning and an older node drops
// the new ones instead of misreading them. Hence no new version number.
//
// Every value has exactly one encoding, so a decoded message re-encodes to the very bytes it came
// from; the fuzz tests hold the codec to that. Decoded byte payloads (command data, snapshot
// chunks) are views into one private copy of the input made per decode: the caller may reuse its
// buffer at once, and a message's payloads cost one allocation between them.
// NB: an entry kept in the log keeps its whole message's copy alive; bounded by the message size.

import type { Entry } from "../entry.js";
import type { Message, MessageType } from "../message.js";
import { decodeBody, decodeEntry as decodeEntryBody } from "./decode-body.js";
import { encodeBody, encodeEntry as encodeEntryBody } from "./encode-body.js";
import { DecodeError, EncodeError } from "./errors.js";
import { Reader } from "./reader.js";
import { type Sink, Sizer, Writer } from "./sink.js";
import { entryRecordTag, formatVersion, headerBytes, magic0, magic1, messageTags } from "./tags.js";

/** Message types by tag (the tags need not be contiguous). */
const messageTypeByTag = new Map<number, MessageType>(
  Object.entries(messageTags).map(([type, tag]) => [tag, type as MessageType]),
);

/** Encodes a message; throws EncodeError if a field is outside its type (local misuse). */
export function encodeMessage(message: Message): Uint8Array {
  const tag = (messageTags as Record<string, number | undefined>)[message?.type];
  if (tag === undefined) {
    throw new EncodeError("type", `unknown message type ${JSON.stringify(message?.type)}`);
  }
  return encodeWith(tag, (sink) => {
    sink.enter(message.type);
    encodeBody(sink, message);
  });
}

/**
 * Decodes one message occupying all of `bytes`; throws DecodeError and nothing else. The message's
 * byte fields (entry data, snapshot chunks) never alias `bytes`, which the caller may reuse,
 * unless `options.adopt` says the caller hands `bytes` over and never changes them: then they
 * view it, saving a copy of every received byte (a transport that gets a fresh buffer per
 * message, as node:dgram gives).
 */
export function decodeMessage(
  bytes: Uint8Array,
  options: { readonly adopt?: boolean } = {},
): Message {
  const reader: Reader = new Reader(bytes, 0, options.adopt === true);
  const tag = readHeader(reader);
  const type = messageTypeByTag.get(tag);
  if (type === undefined) reader.fail("tag", headerBytes - 1, `unknown message type tag ${tag}`);
  reader.enter(type);
  const message = decodeBody(reader, tag);
  if (message === undefined) reader.fail("tag", headerBytes - 1, `unknown message type tag ${tag}`);
  reader.end("");
  return message;
}

/** Encodes one entry as a standalone, versioned record (for log storage). */
export function encodeEntry(entry: Entry): Uint8Array {
  return encodeWith(entryRecordTag, (sink) => {
    sink.enter("entry");
    encodeEntryBody(sink, entry);
  });
}

/** Decodes one standalone entry record occupying all of `bytes`; throws DecodeError only. */
export function decodeEntry(bytes: Uint8Array): Entry {
  const reader: Reader = new Reader(bytes);
  const tag = readHeader(reader);
  if (tag !== entryRecordTag)
    reader.fail("tag", headerBytes - 1, `not an entry record: tag ${tag}`);
  reader.enter("entry");
  const entry = decodeEntryBody(reader);
  reader.end("");
  return entry;
}

function encodeWith(tag: number, body: (sink: Sink) => void): Uint8Array {
  const sizer = new Sizer();
  body(sizer);
  const writer = new Writer(new Uint8Array(headerBytes + sizer.size));
  writer.byte(magic0);
  writer.byte(magic1);
  writer.byte(formatVersion);
  writer.byte(tag);
  body(writer);
  return writer.out;
}

function readHeader(reader: Reader): number {
  if (!(reader.input instanceof Uint8Array)) {
    throw new DecodeError("input", 0, "input is not a Uint8Array");
  }
  if (reader.byte("magic") !== magic0 || reader.byte("magic") !== magic1) {
    reader.fail("magic", 0, "bad magic: not a Flotilla encoding");
  }
  const version = reader.byte("version");
  if (version !== formatVersion) {
    reader.fail(
      "version",
      2,
      `unsupported format version ${version} (this build reads ${formatVersion})`,
    );
  }
  return reader.byte("tag");
}
