import type { Obis } from './obis.ts';

/**
 * Names for what an SIT engineer sees in a DLMS payload: interface classes with their attributes and methods
 * (DLMS UA Blue Book; class 9000 is the GB companion specification's extended data class) and the COSEM objects
 * the GBCS use cases address. Attribute 1 is always logical_name.
 */

interface InterfaceClass {
  name: string;
  /** Attribute names from attribute 2 on. */
  attributes: string[];
  /** Method names from method 1 on. */
  methods: string[];
}

const CLASSES: Record<number, InterfaceClass> = {
  1: { name: 'Data', attributes: ['value'], methods: [] },
  3: { name: 'Register', attributes: ['value', 'scaler_unit'], methods: ['reset'] },
  4: { name: 'Extended register', attributes: ['value', 'scaler_unit', 'status', 'capture_time'], methods: ['reset'] },
  5: { name: 'Demand register', attributes: ['current_average_value', 'last_average_value', 'scaler_unit', 'status', 'capture_time', 'start_time_current', 'period', 'number_of_periods'], methods: ['reset', 'next_period'] },
  7: { name: 'Profile generic', attributes: ['buffer', 'capture_objects', 'capture_period', 'sort_method', 'sort_object', 'entries_in_use', 'profile_entries'], methods: ['reset', 'capture'] },
  8: {
    name: 'Clock',
    attributes: ['time', 'time_zone', 'status', 'daylight_savings_begin', 'daylight_savings_end', 'daylight_savings_deviation', 'daylight_savings_enabled', 'clock_base'],
    methods: ['adjust_to_quarter', 'adjust_to_measuring_period', 'adjust_to_minute', 'adjust_to_preset_time', 'preset_adjusting_time', 'shift_time'],
  },
  9: { name: 'Script table', attributes: ['scripts'], methods: ['execute'] },
  10: { name: 'Schedule', attributes: ['entries'], methods: ['enable_disable', 'insert', 'delete'] },
  11: { name: 'Special days table', attributes: ['entries'], methods: ['insert', 'delete'] },
  18: { name: 'Image transfer', attributes: ['image_block_size', 'image_transferred_blocks_status', 'image_first_not_transferred_block_number', 'image_transfer_enabled', 'image_transfer_status', 'image_to_activate_info'], methods: ['image_transfer_initiate', 'image_block_transfer', 'image_verify', 'image_activate'] },
  20: {
    name: 'Activity calendar',
    attributes: ['calendar_name_active', 'season_profile_active', 'week_profile_table_active', 'day_profile_table_active', 'calendar_name_passive', 'season_profile_passive', 'week_profile_table_passive', 'day_profile_table_passive', 'activate_passive_calendar_time'],
    methods: ['activate_passive_calendar'],
  },
  21: { name: 'Register monitor', attributes: ['thresholds', 'monitored_value', 'actions'], methods: [] },
  22: { name: 'Single action schedule', attributes: ['executed_script', 'type', 'execution_time'], methods: [] },
  30: { name: 'Data protection', attributes: ['protection_buffer', 'protection_object_list', 'protection_parameters_get', 'protection_parameters_set', 'required_protection'], methods: ['get_protected_attributes', 'set_protected_attributes', 'invoke_protected_method'] },
  70: { name: 'Disconnect control', attributes: ['output_state', 'control_state', 'control_mode'], methods: ['remote_disconnect', 'remote_reconnect'] },
  71: {
    name: 'Limiter',
    attributes: ['monitored_value', 'threshold_active', 'threshold_normal', 'threshold_emergency', 'min_over_threshold_duration', 'min_under_threshold_duration', 'emergency_profile', 'emergency_profile_group_id_list', 'emergency_profile_active', 'actions'],
    methods: [],
  },
  104: {
    name: 'ZigBee network control',
    attributes: ['enable_disable_joining', 'join_timeout', 'active_devices'],
    methods: ['register_device', 'unregister_device', 'unregister_all_devices', 'backup_PAN', 'restore_PAN', 'identify_device', 'remove_mirror', 'update_network_key', 'update_link_key', 'create_PAN', 'remove_PAN'],
  },
  111: {
    name: 'Account',
    attributes: [
      'account_mode_and_status', 'current_credit_in_use', 'current_credit_status', 'available_credit', 'amount_to_clear', 'clearance_threshold', 'aggregated_debt',
      'credit_reference_list', 'charge_reference_list', 'credit_charge_configuration', 'token_gateway_configuration', 'account_activation_time', 'account_closure_time',
      'currency', 'low_credit_threshold', 'next_credit_available_threshold', 'max_provision', 'max_provision_period',
    ],
    methods: ['activate_account', 'close_account', 'reset_account'],
  },
  112: {
    name: 'Credit',
    attributes: ['current_credit_amount', 'credit_type', 'priority', 'warning_threshold', 'limit', 'credit_configuration', 'credit_status', 'preset_credit_amount', 'credit_available_threshold', 'period'],
    methods: ['update_amount', 'set_amount_to_value', 'invoke_credit'],
  },
  113: {
    name: 'Charge',
    attributes: ['total_amount_paid', 'charge_type', 'priority', 'unit_charge_active', 'unit_charge_passive', 'unit_charge_activation_time', 'period', 'charge_configuration', 'last_collection_time', 'last_collection_amount', 'total_amount_remaining', 'proportion'],
    methods: ['update_unit_charge', 'activate_passive_unit_charge', 'collect', 'update_total_amount_remaining', 'set_total_amount_remaining'],
  },
  115: { name: 'Token gateway', attributes: ['token', 'token_time', 'token_description', 'token_delivery_method', 'token_status'], methods: ['enter'] },
  9000: { name: 'GB extended data', attributes: ['value_active', 'scaler_unit_active', 'value_passive', 'scaler_unit_passive', 'activate_passive_value_time'], methods: [] },
};

/** COSEM objects the GBCS use cases address, by logical name. */
const OBJECTS: Record<Obis, string> = {
  '0-0:0.2.1.255': 'Firmware version',
  '0-0:1.0.0.255': 'Clock',
  '0-0:10.0.100.255': 'Tariff block counter matrix (TOU) reset script',
  '0-0:13.0.0.255': 'Tariff switching table',
  '0-0:13.0.1.255': 'Tariff switching table (secondary element)',
  '0-0:16.0.11.255': 'Tariff threshold matrix blocks TOU1',
  '0-0:16.0.12.255': 'Tariff threshold matrix blocks TOU2',
  '0-0:16.0.13.255': 'Tariff threshold matrix blocks TOU3',
  '0-0:16.0.14.255': 'Tariff threshold matrix blocks TOU4',
  '0-0:16.0.15.255': 'Tariff threshold matrix blocks TOU5',
  '0-0:16.0.16.255': 'Tariff threshold matrix blocks TOU6',
  '0-0:16.0.17.255': 'Tariff threshold matrix blocks TOU7',
  '0-0:16.0.18.255': 'Tariff threshold matrix blocks TOU8',
  '0-0:19.0.0.255': 'Account',
  '0-1:19.0.0.255': 'Account (payment mode)',
  '0-0:19.10.0.255': 'Meter balance',
  '0-0:19.10.1.255': 'Emergency credit balance',
  '0-0:19.10.2.255': 'Accumulated debt register',
  '0-0:19.20.0.255': 'Tariff block price matrix (TOU)',
  '0-0:19.20.1.255': 'Debt recovery rates 1',
  '0-0:19.20.2.255': 'Debt recovery rates 2',
  '0-0:19.20.3.255': 'Debt recovery per payment',
  '0-0:19.20.4.255': 'Standing charge',
  '0-0:19.20.5.255': 'Secondary tariff TOU price matrix',
  '0-0:19.40.0.255': 'Prepayment top-up (token gateway)',
  '0-0:30.3.0.255': 'CHF device log',
  '0-0:30.3.1.255': 'CHF historic device log',
  '0-0:43.2.1.255': 'Prepayment registers (protected read)',
  '0-0:43.2.3.255': 'Billing data log (protected read)',
  '0-0:43.2.8.255': 'Import register collection (protected read)',
  '0-0:43.2.9.255': 'Tariff TOU register collection (protected read)',
  '0-0:43.2.10.255': 'Tariff block TOU register collection (protected read)',
  '0-0:63.1.1.255': 'Tariff threshold matrix',
  '0-0:94.44.2.0': 'Currency unit',
  '0-0:94.44.2.10': 'Prepayment maximum credit threshold',
  '0-0:94.44.2.20': 'Prepayment maximum meter balance',
  '0-0:94.44.3.1': 'Disable privacy PIN protection',
  '0-0:94.44.3.2': 'Restrict data date-time',
  '0-0:94.44.10.0': 'Sub GHz configuration settings',
  '0-0:94.44.10.1': 'CHF sub GHz channel scan',
  '0-0:94.44.10.2': 'Operating sub GHz channel',
  '0-0:94.44.34.11': 'Import MPAN',
  '0-0:94.44.34.20': 'Power import collection',
  '0-0:94.44.128.2': 'Emergency credit limit',
  '0-0:94.44.128.3': 'Emergency credit threshold',
  '0-0:94.44.128.9': 'Low credit threshold',
  '0-0:94.44.128.12': 'Debt recovery rate cap amount',
  '0-0:94.44.128.13': 'Debt recovery rate cap period',
  '0-0:94.44.128.22': 'Disablement threshold (meter balance)',
  '0-0:94.44.128.28': 'Non-disablement calendar',
  '0-0:94.44.128.29': 'Tariff switching table special days',
  '0-0:94.44.128.30': 'Tariff switching table special days (secondary element)',
  '0-0:94.44.128.31': 'Non-disablement calendar special days',
  '0-0:96.13.0.255': 'Supplier telephone number',
  '0-0:96.13.1.255': 'Supplier name',
  '0-2:96.13.1.255': 'Supplier message',
  '0-0:99.98.0.255': 'Event log',
  '0-17:99.98.2.255': 'Auxiliary load control switch event log',
  '0-1:11.0.0.255': 'Tariff switching table special days',
  '0-1:11.0.1.255': 'Tariff switching table special days (secondary element)',
  '0-1:11.0.2.255': 'Non-disablement calendar special days',
  '0-1:12.0.1.255': 'Non-disablement calendar',
  '1-0:2.8.0.255': 'Active export register',
  '1-0:4.8.0.255': 'Reactive export register',
};

export function className(classId: number): string | undefined {
  return CLASSES[classId]?.name;
}

export function attributeName(classId: number, attributeId: number): string | undefined {
  if (attributeId === 1) return 'logical_name';
  return CLASSES[classId]?.attributes[attributeId - 2];
}

export function methodName(classId: number, methodId: number): string | undefined {
  return CLASSES[classId]?.methods[methodId - 1];
}

export function objectName(obis: Obis): string | undefined {
  return OBJECTS[obis];
}
