// Set by build.mjs (esbuild `define`): the package version from pyproject.toml.
declare const __REPCHAT_VERSION__: string | undefined;
