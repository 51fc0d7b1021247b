/**
 * Compile-time only: the published client declares its public types itself, so that its `.d.ts` imports
 * nothing, and this file keeps them equal to the protocol's in `@dockpulse/shared`. A field added, removed or
 * retyped on either side makes one of the `Expect`s below fail `pnpm typecheck`, naming the type that drifted.
 * Nothing imports this file; it emits no code.
 */
import type * as Shared from '@dockpulse/shared';
import type { ConnectionState as CoreConnectionState, RangeQueryError, RangeQueryErrorCode } from './feed-client.js';
import type { ListListener, SCOPE_TARGET, WatchProblem, WatchedContainer } from './container-watch.js';
import type * as Public from './dockpulse-client.js';

/**
 * True only when A and B are the same type: the same fields, optional and readonly alike (comparing two
 * generic functions is TypeScript's own identity check, stricter than assignability either way).
 */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type Extends<A, B> = [A] extends [B] ? true : false;

/** `true`, or why not: each way of assigning is checked on its own, so that a failure says which side lacks what. */
type Same<Client, Shared> =
  Extends<Shared, Client> extends false
    ? "a shared value does not fit the client's type: shared has a value or field the client's type lacks, or it requires one shared lacks"
    : Extends<Client, Shared> extends false
      ? "a client value does not fit the shared type: shared requires a field (or rules out a value) that the client's type does not"
      : Equal<Client, Shared> extends false
        ? 'an optional field is on one side only, or a field is optional or readonly on one side only'
        : true;

type Expect<T extends true> = T;

export type PublicTypesMatchShared = [
  Expect<Same<Public.Sample, Shared.Sample>>,
  Expect<Same<Public.ContainerSummary, Shared.ContainerSummary>>,
  Expect<Same<Public.ContainerSummary['state'], Shared.ContainerState>>,
  Expect<Same<NonNullable<Public.ContainerSummary['health']>, Shared.HealthStatus>>,
  Expect<Same<Public.EngineStatus, Shared.EngineStatus>>,
  Expect<Same<Public.HostInfo, Shared.HostInfo>>,
  Expect<Same<Public.HostInfo['state'], Shared.HostState>>,
  Expect<Same<Omit<Extract<Public.WatchStatus, { type: 'container' }>, 'type'>, WatchedContainer>>,
  Expect<Same<Public.TopicState, Shared.TopicState>>,
  Expect<Same<Public.ConnectionState, CoreConnectionState>>,
  Expect<Same<typeof Public.SCOPE, typeof SCOPE_TARGET>>,
  Expect<Same<Extract<Public.WatchStatus, { type: 'error' }>['code'], WatchProblem>>,
  Expect<Same<Extract<Public.WatchStatus, { type: 'state' }>['state'], Shared.TopicState>>,
  Expect<Same<Public.ListError['code'], Parameters<NonNullable<ListListener['refused']>>[0]>>,
  Expect<Same<Public.HistoryMetric, Shared.HistoryMetric>>,
  Expect<Same<Public.HistoryQuery, Shared.HistoryQuery>>,
  Expect<Same<Public.HistoryBand, Shared.HistoryBand>>,
  Expect<Same<Public.HistoryRange, Shared.HistoryRange>>,
  Expect<Same<Public.HistoryRange['tier'], Shared.HistoryTier>>,
  // The client adds the two codes it finds itself, before asking the gateway.
  Expect<Same<Public.HistoryError['code'], RangeQueryErrorCode | 'ambiguous' | 'no_scope'>>,
  Expect<Extends<RangeQueryError, Public.HistoryError>>,
];
