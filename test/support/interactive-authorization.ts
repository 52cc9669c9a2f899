/**
 * The interactive half of the local authorization server (the `interactive`
 * option of startAuthorizationServer): what a real MCP client needs from an
 * authorization server — open dynamic client registration (RFC 7591), the
 * authorization code grant with PKCE (RFC 7636) and RFC 8707 `resource`.
 *
 * The login and consent pages are oidc-provider interactions answered at once
 * by this module (there is no person at the keyboard): the login step signs
 * in USER_ACCOUNT, the consent step grants every scope the request asked for,
 * per resource, through oidc-provider's own Grant API. A client drives the
 * redirects with its own cookies (see driveAuthorization in mcp-client.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The account every interactive login signs in. */
export const USER_ACCOUNT = 'user-1';

export const INTERACTION_PATH = '/interaction/';

interface PromptDetails {
  missingOIDCScope?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

interface InteractionDetails {
  prompt: { name: string; details: PromptDetails };
  params: Record<string, unknown>;
  grantId?: string;
}

interface OidcGrant {
  addOIDCScope(scope: string): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}

/** The slice of an oidc-provider instance the interactions use. */
export interface InteractiveProvider {
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission: boolean }): Promise<void>;
  readonly Grant: {
    new (fields: { accountId: string; clientId: string }): OidcGrant;
    find(id: string): Promise<OidcGrant | undefined>;
  };
}

/** Configuration merged over the machine-only defaults of the local authorization server. */
export function interactiveConfiguration(): { configuration: Record<string, unknown>; features: Record<string, unknown> } {
  return {
    configuration: {
      responseTypes: ['code'],
      // Every client, public or confidential, must use PKCE (S256 only, oidc-provider's default method).
      pkce: { required: () => true },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${INTERACTION_PATH}${interaction.uid}` },
      findAccount: (_ctx: unknown, accountId: string) => Promise.resolve({ accountId, claims: () => Promise.resolve({ sub: accountId }) }),
      // Cookie signing keys, so oidc-provider does not warn about unsigned interaction cookies.
      cookies: { keys: ['interactive-authorization-test-cookie-key'] },
      // oidc-provider limits a client to the `scope` it registered with, and the SDK registers the
      // scope of its first 401; an MCP client widens its scope when a 403 insufficient_scope names
      // more (step-up), so the registered `scope` is dropped. The validator runs for every client,
      // and may change the metadata it is given (oidc-provider's documented hook).
      extraClientMetadata: {
        properties: ['software_statement_note'],
        validator: (_ctx: unknown, _key: string, _value: unknown, metadata: Record<string, unknown>) => {
          delete metadata.scope;
        },
      },
      // The whole ttl table (it replaces the machine-only one): access tokens as there, and the
      // interactive artifacts set so oidc-provider does not print its "SHOULD change" notices.
      ttl: { ClientCredentials: 300, AccessToken: 300, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
    },
    features: {
      // Open registration, as MCP clients expect.
      registration: { enabled: true },
    },
  };
}

function clientIdOf(details: InteractionDetails): string {
  const clientId = details.params.client_id;
  if (typeof clientId !== 'string') throw new Error('interaction without client_id');
  return clientId;
}

/** Answers one interaction request: login → USER_ACCOUNT; consent → a grant of everything asked. */
export async function answerInteraction(provider: InteractiveProvider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: USER_ACCOUNT } }, { mergeWithLastSubmission: false });
    return;
  }
  const existing = details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId);
  const grant = existing ?? new provider.Grant({ accountId: USER_ACCOUNT, clientId: clientIdOf(details) });
  const { missingOIDCScope, missingResourceScopes } = details.prompt.details;
  if (missingOIDCScope !== undefined) grant.addOIDCScope(missingOIDCScope.join(' '));
  for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}
