/** The CLI's version: set by the bundler (build.mjs) from package.json, "0.0.0-dev" when run from source. */
declare const __MARGINCTL_VERSION__: string | undefined

export const VERSION: string = typeof __MARGINCTL_VERSION__ === "string" ? __MARGINCTL_VERSION__ : "0.0.0-dev"
