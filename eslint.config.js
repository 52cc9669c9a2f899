// Lint: typescript-eslint strict + type-aware rules that matter for a security
// boundary (no floating promises, exhaustive switches over closed unions), and an
// allow-list that keeps the decision core pure (ARCHITECTURE.md "Components").
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const PURE = 'src/core is pure: it imports only src/core and node:crypto; do I/O, clocks and logging in an adapter and pass them in (CheckEnvironment).';
/** What a core file may not reach for: I/O, clocks, timers, the process, logging. */
const impureGlobals = ['fetch', 'Date', 'performance', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'process', 'console', 'require'];

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
    // interfaces and never logs, counts or does I/O. An allow-list, so a new
    // package or adapter is refused without anyone having to name it here
    // (test/lint/core-purity.test.ts proves each part bites).
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        // Same-folder relative imports and node:crypto; anything else (packages, node:*, ../*) is refused.
        patterns: [{ regex: '^(?!\\./[^/]+$|node:crypto$)', caseSensitive: true, message: PURE }],
      }],
      'no-restricted-syntax': ['error',
        { selector: 'ImportExpression', message: PURE },
        { selector: 'TSImportEqualsDeclaration', message: PURE },
        { selector: 'TSImportType', message: PURE },
      ],
      'no-restricted-globals': ['error', ...impureGlobals.map((name) => ({ name, message: PURE }))],
      'no-restricted-properties': ['error', ...['globalThis', 'global'].flatMap((object) => impureGlobals.map((property) => ({ object, property, message: PURE })))],
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
  {
    // Formatting is part of lint (`npm run format` fixes what can be fixed):
    // the house style as it is. object-curly-spacing and array-bracket-spacing
    // are deprecated for list-style, which would also re-wrap every multi-line
    // list; they print a deprecation notice but still work.
    files: ['**/*.ts', '**/*.js'],
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/indent': ['error', 2, {
        SwitchCase: 1,
        flatTernaryExpressions: true,
        offsetTernaryExpressions: false,
        // Union members, ternary branches and template pieces are aligned by hand.
        ignoredNodes: [
          'TSUnionType', 'TSUnionType *', 'TSIntersectionType', 'TSIntersectionType *',
          'ConditionalExpression', 'ConditionalExpression *', 'TemplateLiteral *',
        ],
      }],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/eol-last': ['error', 'always'],
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxEOF: 0 }],
      '@stylistic/object-curly-spacing': ['error', 'always'],
      '@stylistic/array-bracket-spacing': ['error', 'never'],
      '@stylistic/comma-spacing': 'error',
      '@stylistic/key-spacing': 'error',
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-before-blocks': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/arrow-spacing': 'error',
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@stylistic/member-delimiter-style': 'error',
      '@stylistic/type-annotation-spacing': 'error',
    },
  },
  {
    // No line in src/ longer than 140 characters (tests, bench and scripts may
    // hold longer tables and messages).
    files: ['src/**/*.ts'],
    rules: {
      '@stylistic/max-len': ['error', { code: 140, tabWidth: 2 }],
    },
  },
);
