export interface ClusterState {
  dir: string;
  nodes: { port: number; pid: number }[];
  urls: string[];
}
export function startCluster(): Promise<ClusterState>;
export function stopCluster(state: ClusterState): void;
export function killNode(state: ClusterState, port: number): void;
export function restartNode(state: ClusterState, port: number): Promise<void>;
export function primaries(state: ClusterState): number[];
export function clusterHealthy(ports: number[]): boolean;
