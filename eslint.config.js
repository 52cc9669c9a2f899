// Lint: typescript-eslint strict + type-aware rules that matter for a security
// boundary (no floating promises, exhaustive switches over closed unions), and a
// dependency rule that keeps the decision core free of I/O (ARCHITECTURE.md,
// Components: "decision core").
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const ioModules = [
  'node:fs', 'node:fs/promises', 'node:http', 'node:http2', 'node:net', 'node:child_process',
  '@grpc/grpc-js', '@grpc/proto-loader', 'pino', 'prom-client', '@kubernetes/client-node',
];

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', '.cache/', 'coverage/', 'bin/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // The decision core is pure: it gets keys, clock and upstream tokens through
    // interfaces and never logs, counts or does I/O.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.map((name) => ({ name, message: 'src/core is pure: do I/O in an adapter.' })),
        patterns: [{ group: ['**/server/**', '**/obs/**', '**/sources/**', '**/envoy/**'], message: 'src/core must not depend on adapters.' }],
      }],
    },
  },
  {
    // @kubernetes/client-node's model classes are plain data in practice: the
    // client serialises object literals, and its own docs build them that way.
    files: ['src/kubernetes/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-misused-spread': ['error', { allow: [{ from: 'package', package: '@kubernetes/client-node', name: ['V1Lease', 'V1LeaseSpec'] }] }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
);
