import type { DeviceRole, ServiceRequestDefinition } from './types.ts';

/** Every service request hanlab can send, by DUIS variant and target device role. */
export class ServiceRequestRegistry {
  private readonly byKey = new Map<string, ServiceRequestDefinition>();

  add(...definitions: ServiceRequestDefinition[]): this {
    for (const d of definitions) {
      const key = `${d.srv}/${d.target}`;
      if (this.byKey.has(key)) throw new Error(`service request ${d.srv} to ${d.target} is defined twice`);
      this.byKey.set(key, d);
    }
    return this;
  }

  /** The definition for a variant and target; with no target, the first one registered for the variant. */
  get(srv: string, target?: DeviceRole): ServiceRequestDefinition | undefined {
    if (target) return this.byKey.get(`${srv}/${target}`);
    return [...this.byKey.values()].find((d) => d.srv === srv);
  }

  targets(srv: string): DeviceRole[] {
    return [...this.byKey.values()].filter((d) => d.srv === srv).map((d) => d.target);
  }

  list(): ServiceRequestDefinition[] {
    return [...this.byKey.values()].sort((a, b) => a.srv.localeCompare(b.srv, 'en', { numeric: true }) || a.target.localeCompare(b.target));
  }
}
