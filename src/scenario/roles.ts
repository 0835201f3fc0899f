import { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';
import type { Quantity } from './quantity.ts';
import { closedObject, forwardIssues, quantityField, reject } from './zod-kit.ts';

/** The device roles of a GB smart metering installation. */
export const ROLES = ['chf', 'gpf', 'esme', 'gsme', 'ppmid', 'ihd'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_TITLES: Readonly<Record<Role, string>> = {
  chf: 'Comms Hub Function',
  gpf: 'Gas Proxy Function',
  esme: 'Electricity Smart Metering Equipment',
  gsme: 'Gas Smart Metering Equipment',
  ppmid: 'Prepayment Meter Interface Device',
  ihd: 'In-Home Display',
};

export const METER_ROLES: readonly Role[] = ['esme', 'gsme'];

export const PAYMENT_MODES = ['credit', 'prepayment'] as const;
export type PaymentMode = (typeof PAYMENT_MODES)[number];

/** How a scenario wants a device to start. Unset fields are the simulator's (or the configuration set's) choice. */
export interface RoleSettings {
  readonly model?: string;
  readonly manufacturer?: string;
  readonly firmware?: string;
  /** Meters only. */
  readonly paymentMode?: PaymentMode;
  /** Meters only: the meter balance at the start. */
  readonly balance?: Quantity;
  /** Start already installed and commissioned (true), or factory-fresh (false, the default). */
  readonly commissioned?: boolean;
}

export const roleField = z.enum(ROLES);

const roleSettingsSchema = closedObject({
  model: z.string().min(1).optional(),
  manufacturer: z.string().min(1).optional(),
  firmware: z.string().min(1).optional(),
  paymentMode: z.enum(PAYMENT_MODES).optional(),
  balance: quantityField('money').optional(),
  commissioned: z.boolean().optional(),
});

const roleMapSchema = closedObject(Object.fromEntries(ROLES.map((role) => [role, roleSettingsSchema.nullish()])) as Record<Role, z.ZodOptional<z.ZodNullable<typeof roleSettingsSchema>>>);

export type RoleMap = Readonly<Partial<Record<Role, RoleSettings>>>;

const ROLES_EXPECTED = `a list of roles (${ROLES.join(', ')}) or a mapping from role to its settings`;

/** `roles: [chf, esme]` or `roles: { chf: {}, esme: { paymentMode: prepayment, balance: 5 GBP } }`. */
export const rolesSchema: z.ZodType<RoleMap, unknown> = z.unknown().transform((raw, ctx) => {
  if (Array.isArray(raw)) return rolesFromList(raw, ctx);
  if (typeof raw !== 'object' || raw === null) {
    reject(ctx, 'expected the roles this scenario needs', ROLES_EXPECTED);
    return z.NEVER;
  }
  const parsed = roleMapSchema.safeParse(raw);
  if (!parsed.success) {
    forwardIssues(ctx, parsed.error.issues);
    return z.NEVER;
  }
  const roles: Partial<Record<Role, RoleSettings>> = {};
  for (const role of ROLES) {
    const settings = parsed.data[role];
    if (settings === undefined) continue;
    roles[role] = settings ?? {};
    if (!METER_ROLES.includes(role)) {
      for (const meterOnly of ['paymentMode', 'balance'] as const) {
        if (settings?.[meterOnly] !== undefined) reject(ctx, `${meterOnly} applies to meters (esme, gsme), not ${role}`, 'a setting this role has', [role, meterOnly]);
      }
    }
  }
  if (Object.keys(roles).length === 0) reject(ctx, 'a scenario needs at least one role', ROLES_EXPECTED);
  return roles;
});

function rolesFromList(items: unknown[], ctx: z.core.$RefinementCtx<unknown>): RoleMap | typeof z.NEVER {
  const roles: Partial<Record<Role, RoleSettings>> = {};
  items.forEach((item, index) => {
    const role = ROLES.find((known) => known === item);
    if (role === undefined) {
      const suggestion = typeof item === 'string' ? didYouMean(item, ROLES) : undefined;
      reject(ctx, `unknown role${suggestion ? `; did you mean "${suggestion}"?` : ''}`, `one of ${ROLES.join(', ')}`, [index]);
    } else if (roles[role] !== undefined) {
      reject(ctx, `role ${role} is listed twice`, 'each role once', [index]);
    } else {
      roles[role] = {};
    }
  });
  if (items.length === 0) reject(ctx, 'a scenario needs at least one role', ROLES_EXPECTED);
  return roles;
}
