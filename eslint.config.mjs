import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  {
    ignores: ["**/dist/**", "**/build/**", "bench/.out/**", "**/node_modules/**", "**/.turbo/**", "**/coverage/**", "**/test-results/**"]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "require-yield": "off",
      "no-control-regex": "off"
    }
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", Buffer: "readonly" } }
  },
  {
    // The core is platform-free: only effect and @effect/platform, no Node, no browser-specific code.
    // Its Node entry point (`@marginctl/core/node`, src/node/) is the one place Node is allowed.
    files: ["packages/core/src/**/*.ts"],
    ignores: ["packages/core/src/node/**"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["node:*"], message: "packages/core must stay platform-free: no node:* imports." },
          { group: ["@effect/platform-node", "@effect/platform-node/*", "@effect/platform-node-shared", "@effect/platform-node-shared/*"], message: "packages/core must not depend on platform-node." },
          { group: ["@effect/platform-browser", "@effect/platform-browser/*"], message: "packages/core must not depend on platform-browser." }
        ],
        paths: ["fs", "path", "os", "crypto", "http", "https", "child_process", "process", "buffer", "url", "util", "net", "tls", "stream"]
          .map((name) => ({ name, message: "packages/core must stay platform-free: no Node built-ins." }))
      }],
      "no-restricted-globals": ["error",
        { name: "process", message: "packages/core must not read process; apps pass configuration in." },
        { name: "Buffer", message: "Use Uint8Array / TextEncoder in packages/core." },
        { name: "chrome", message: "Extension APIs live in apps/extension." },
        { name: "window", message: "Browser globals live in apps/extension." },
        { name: "document", message: "Browser globals live in apps/extension." },
        { name: "localStorage", message: "Browser globals live in apps/extension." }
      ],
      "no-restricted-syntax": ["error",
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: "Read time through Clock so TestClock controls it." },
        { selector: "CallExpression[callee.object.name='console']", message: "Log through Effect's logger." }
      ]
    }
  },
  {
    // The core's Node entry point: Node built-ins allowed, the rest of the core's rules kept.
    files: ["packages/core/src/node/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["@effect/platform-node", "@effect/platform-node/*"], message: "The core's Node entry point uses undici directly." }]
      }],
      "no-restricted-globals": ["error", { name: "process", message: "packages/core must not read process; apps pass configuration in." }],
      "no-restricted-syntax": ["error",
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: "Read time through Clock so TestClock controls it." },
        { selector: "CallExpression[callee.object.name='console']", message: "Log through Effect's logger." }
      ]
    }
  },
  {
    // The simulator's engine is platform-free too; only its server entry uses Node.
    files: ["packages/simulator/src/**/*.ts"],
    ignores: ["packages/simulator/src/Server.ts", "packages/simulator/src/StreamServer.ts", "packages/simulator/src/main.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["node:*"], message: "Only Server.ts, StreamServer.ts and main.ts of the simulator may use Node." }]
      }]
    }
  }
)
