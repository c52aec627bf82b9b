/** A bad configuration value: the field (a path in the file, or an environment variable) and what is wrong. */
import * as Data from "effect/Data"

export class ConfigError extends Data.TaggedError("ConfigError")<{ readonly field: string; readonly message: string }> {
  get text() {
    return `configuration: ${this.field}: ${this.message}`
  }
}
