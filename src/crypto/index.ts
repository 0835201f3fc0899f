export * from './eui.ts';
export * from './keys.ts';
export * from './keystore.ts';
export * from './ecdsa.ts';
export * from './ecdh.ts';
export * from './kdf.ts';
export * from './gcm.ts';
