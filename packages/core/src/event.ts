import type { MembershipChange } from "./confchange.js";
import type { Index, Term } from "./ids.js";
import type { Message } from "./message.js";

/** The only inputs of the reducer. Time is a `tick`; the driver decides how long a tick is. */
export type Event =
  /** One unit of logical time has passed. */
  | { readonly type: "tick" }
  /** Start an election now (a test or an operator forcing one); ignored by learners. */
  | { readonly type: "campaign" }
  /** A message arrived from a peer. Anything wrong with it is reported as a `dropped` effect. */
  | { readonly type: "receive"; readonly message: Message }
  /** Client data for the log; `id` is the caller's, echoed in the accepted/rejected effect. */
  | { readonly type: "propose"; readonly id: string; readonly data: Uint8Array }
  /** Storage made the log durable up to (index, term): a leader may now count itself for it. */
  | { readonly type: "persisted"; readonly index: Index; readonly term: Term }
  /** The application applied every committed entry up to `index`. */
  | { readonly type: "applied"; readonly index: Index }
  /** The application snapshotted its state machine at applied index `index`: compact the log. */
  | { readonly type: "snapshot"; readonly index: Index; readonly data: Uint8Array }
  /**
   * Change the cluster's membership (leader only; `id` is the caller's, echoed in the
   * membershipChangeAccepted/Rejected effect). `force` promotes a learner even while it lags.
   */
  | {
      readonly type: "changeMembership";
      readonly id: string;
      readonly change: MembershipChange;
      readonly force?: boolean;
    };

/** The `type` of every `Event` variant. */
export type EventType = Event["type"];
