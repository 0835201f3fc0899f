export * from './catalogue.ts';
export * from './estate.ts';
export * from './violations.ts';
export * from './check-catalogue.ts';
export * from './check-estate.ts';
export * from './admission.ts';
export * from './parse.ts';
