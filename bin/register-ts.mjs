// Registers bin/ts-loader.mjs for this thread (and is imported first by every entry point and worker).
import { register } from 'node:module';

register(new URL('./ts-loader.mjs', import.meta.url));
