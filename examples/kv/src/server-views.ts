// What a kv server answers about itself: GET /status, GET /members and a membership change's
// answer, as the client and the tools that watch a cluster (local-cluster, bench growth) read them.

export type ServerStatus = {
  readonly id: string;
  readonly role: string;
  readonly term: number;
  readonly leader: string | null;
  readonly leaderUrl: string | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly snapshotIndex: number;
  /** The configuration in force on that server. */
  readonly membership: Membership;
  readonly pid: number;
  /** The Raft transport's datagrams: sent, received, dropped by fault injection or otherwise. */
  readonly transport: {
    readonly sentDatagrams: number;
    readonly receivedDatagrams: number;
    readonly sentBytes: number;
    readonly receivedBytes: number;
    readonly injectedDrops: number;
    readonly sendDropped: number;
    readonly inboundDropped: number;
  };
  readonly keys: number;
  /** The store's keys and values in UTF-8 bytes. */
  readonly stateBytes: number;
  readonly process: {
    readonly rssBytes: number;
    readonly peakRssBytes: number;
    /** V8's heap: used, and reserved. */
    readonly heapUsedBytes: number;
    readonly heapTotalBytes: number;
    /** The memory of every ArrayBuffer, the store's slabs included. */
    readonly arrayBuffersBytes: number;
    /** The store's record slabs (records and holes). */
    readonly slabBytes: number;
  };
  readonly digest: string;
};

/** A node's place in the configuration; "outgoing": in the old half of a joint one only. */
export type MemberRole = "voter" | "learner" | "outgoing";

export type Membership = {
  readonly voters: readonly string[];
  readonly learners: readonly string[];
  readonly outgoing?: readonly string[];
};

/** GET /members: a server's view of the membership, with each member's addresses. */
export type MembersView = {
  readonly id: string;
  readonly role: string;
  readonly term: number;
  readonly leader: string | null;
  readonly joint: boolean;
  readonly membership: Membership;
  readonly members: readonly {
    readonly id: string;
    readonly role: MemberRole;
    readonly raft: string | null;
    readonly api: string | null;
    /** The leader's view: the last log index known to be on that member. */
    readonly match?: number;
  }[];
};

/** The answer to a membership change: the node's role and the membership after it. */
export type MembersChange = {
  readonly id: string;
  readonly role: MemberRole | null;
  readonly membership: Membership;
};
