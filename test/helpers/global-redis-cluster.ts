// Vitest global setup of the integration project: one local Redis Cluster for every suite of the
// run (unless .ci/run or the caller already gave one in ANYWIRE_REDIS_CLUSTER), torn down after.
// A cluster that cannot start fails the run here, loudly.
import { startCluster, stopCluster, type ClusterState } from './redis-cluster.mjs';

let state: ClusterState | undefined;

export async function setup(): Promise<void> {
  if (process.env.ANYWIRE_REDIS_CLUSTER?.trim()) return;
  state = await startCluster();
  process.env.ANYWIRE_REDIS_CLUSTER = state.urls.join(',');
}

export function teardown(): void {
  if (state) stopCluster(state);
  state = undefined;
}
