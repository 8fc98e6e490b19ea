// Set by build.mjs (esbuild `define`): the package version from pyproject.toml.
declare const __REPCHAT_VERSION__: string | undefined;
// Set by build.mjs: the conversation UI's file name, chunk.<content hash>.js.
declare const __REPCHAT_CHUNK__: string | undefined;
// Set by build.mjs: the embed doctor's file name, doctor.<content hash>.js.
declare const __REPCHAT_DOCTOR__: string | undefined;
