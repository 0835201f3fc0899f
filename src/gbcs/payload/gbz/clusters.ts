import { Zcl } from 'zigbee-herdsman';
import type { ParamSpec } from './layout.ts';
import { SE_CLUSTERS } from './se-clusters.ts';

export { CLUSTER } from './se-clusters.ts';

/**
 * Cluster, attribute and command names and command layouts: the Smart Energy tables of se-clusters.ts first,
 * then zigbee-herdsman's definitions. Names follow zigbee-herdsman's camelCase so that both read alike.
 */

export interface CommandSpec {
  name: string;
  /** Absent when only the name is known: the payload is kept raw. */
  params?: readonly ParamSpec[];
}

export interface ClusterSpec {
  name: string;
  attributes: Readonly<Record<number, string>>;
  clientToServer: Readonly<Record<number, CommandSpec>>;
  serverToClient: Readonly<Record<number, CommandSpec>>;
}


interface HerdsmanCluster {
  ID: number;
  attributes: Record<string, { ID: number; name: string }>;
  commands: Record<string, { ID: number; name: string }>;
  commandsResponse: Record<string, { ID: number; name: string }>;
}

const HERDSMAN = new Map<number, { name: string; cluster: HerdsmanCluster }>(
  Object.entries(Zcl.Clusters as unknown as Record<string, HerdsmanCluster>).map(([name, cluster]) => [cluster.ID, { name, cluster }]),
);

function herdsmanName(items: Record<string, { ID: number; name: string }> | undefined, id: number): string | undefined {
  if (!items) return undefined;
  for (const item of Object.values(items)) if (item.ID === id) return item.name;
  return undefined;
}

export function clusterName(clusterId: number): string | undefined {
  return SE_CLUSTERS.get(clusterId)?.name ?? HERDSMAN.get(clusterId)?.name;
}

export function attributeName(clusterId: number, attributeId: number): string | undefined {
  return SE_CLUSTERS.get(clusterId)?.attributes[attributeId] ?? herdsmanName(HERDSMAN.get(clusterId)?.cluster.attributes, attributeId);
}

/** A cluster-specific command by the direction it travels in (server-to-client commands are the "responses"). */
export function clusterCommand(clusterId: number, serverToClient: boolean, commandId: number): CommandSpec | undefined {
  const se = SE_CLUSTERS.get(clusterId);
  if (se) return (serverToClient ? se.serverToClient : se.clientToServer)[commandId];
  const h = HERDSMAN.get(clusterId)?.cluster;
  const name = herdsmanName(serverToClient ? h?.commandsResponse : h?.commands, commandId);
  return name === undefined ? undefined : { name };
}

/** Finds a cluster-specific command by name, for builders. */
export function findClusterCommand(clusterId: number, name: string): { commandId: number; serverToClient: boolean; spec: CommandSpec } | undefined {
  const se = SE_CLUSTERS.get(clusterId);
  if (!se) return undefined;
  for (const [serverToClient, table] of [[false, se.clientToServer], [true, se.serverToClient]] as const) {
    for (const [id, spec] of Object.entries(table)) if (spec.name === name) return { commandId: Number(id), serverToClient, spec };
  }
  return undefined;
}
