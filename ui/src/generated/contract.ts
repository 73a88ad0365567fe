// Generated from the Rust types by `npm run contract` (src-tauri/src/contract.rs, ts-rs): do not
// edit. `npm test` fails when this file is not what the Rust types generate.

/**
 * What the UI and the command line branch on; stable across releases.
 */
export type ErrorCode = "invalid_setting" | "missing_client_secret" | "keychain_unavailable" | "keychain_locked" | "keychain" | "storage" | "lock_timeout" | "tokens_not_saved" | "tokens_held_elsewhere" | "malformed_callback" | "unexpected_callback" | "replayed_callback" | "abandoned_callback" | "expired_callback" | "state_mismatch" | "authorization_expired" | "cancelled" | "authorization_refused" | "loopback_unavailable" | "invalid_grant" | "invalid_request" | "invalid_client" | "rate_limited" | "server_error" | "unauthorized" | "unexpected_response" | "network" | "timeout" | "client_unknown" | "secret_refused" | "redirect_not_registered" | "client_not_allowed" | "not_kanka" | "not_connected" | "reconnect_needed" | "no_such_connection" | "ambiguous_connection" | "account_already_connected" | "sign_in_waiting";

/**
 * An error as the UI, the command line and the status file see it.
 */
export type ErrorInfo = { code: ErrorCode, message: string, hint: string | null, 
/**
 * The setting the error is about (`url`, `api_url`, `client_id`, `redirect_uri`,
 * `client_secret`, or `config.toml` for the file as a whole), so the settings form marks its
 * input without reading the message; null when it is about none.
 */
setting: string | null, 
/**
 * That setting has no value at all (a fresh install has no client id), as opposed to a
 * wrong one.
 */
setting_empty: boolean, };

/**
 * The Kanka account a connection belongs to.
 */
export type Account = { id: number, name: string, };

export type State = "disconnected" | "connecting" | "connected" | "refreshing" | "reconnect_needed" | "error";

/**
 * One full snapshot; RFC 3339 times.
 */
export type Status = { state: State, account: Account | null, expires_at: string | null, refreshed_at: string | null, next_refresh_at: string | null, 
/**
 * When a failed attempt (a refresh, saving a pair, asking for the profile) is tried again,
 * so a message can say when. `None` while nothing waits for a retry.
 */
retry_at: string | null, last_error: ErrorInfo | null, 
/**
 * News that changes nothing and passes (a `kanka-link:` link that answered no sign-in). Kept
 * in memory only, for a short while; never in the status file.
 */
notice: ErrorInfo | null, };

/**
 * A sign-in in progress, as the page sees it: until when it waits, and Kanka's consent page
 * only when no browser could be opened, for the user to copy. That address carries the
 * sign-in's `state`, so the page gets it only when it has to show it, and `Debug` never prints it.
 */
export type SignInStarted = { expires_at: string, url: string | null, };

/**
 * One connection as the window lists it: which one (the id its commands take), its Kanka server,
 * whether it is the default (what `kanka-link token` serves), and its status. No token.
 */
export type ConnectionStatus = { 
/**
 * `main` for the settings' own connection, first in the list.
 */
id: string, 
/**
 * The Kanka address it signs in at; "" while the settings are not valid.
 */
server: string, default: boolean, status: Status, };

/**
 * A connection added for another account, and its sign-in under way.
 */
export type ConnectionAdded = { id: string, sign_in: SignInStarted, };

/**
 * What disconnecting did, and what it cannot do.
 */
export type DisconnectNotice = { message: string, settings_url: string, };

/**
 * Where one value came from, as the form says it ([`Origin::kind`]).
 */
export type OriginKind = "environment" | "file" | "default" | "keychain" | "input" | "missing";

export type SettingValues = { url: string, api_url: string, client_id: string, redirect_uri: string, };

/**
 * Where each value came from.
 */
export type SettingOrigins = { url: OriginKind, api_url: OriginKind, client_id: OriginKind, redirect_uri: OriginKind, client_secret: OriginKind, };

/**
 * The environment variable behind each value, when the environment set it.
 */
export type SettingVariables = { url: string | null, api_url: string | null, client_id: string | null, redirect_uri: string | null, client_secret: string | null, };

export type SettingsView = { values: SettingValues, origins: SettingOrigins, 
/**
 * The environment variable that set each value, for the form to name (the page keeps no
 * list of them); null unless the value came from the environment.
 */
variables: SettingVariables, client_secret_saved: boolean, config_file: string, 
/**
 * What saving meant for the connection, said plainly (another server or API needs its own
 * sign-in); only in the answer to `save_settings`.
 */
notice: string | null, };

/**
 * The settings form as submitted. An empty or absent secret keeps the saved one.
 */
export type SettingsForm = { url: string, api_url: string, client_id: string, redirect_uri: string, client_secret: string | null, };

/**
 * What the setup view shows: where to make a client in Kanka, its name, and the exact redirect
 * to register. Addresses and the client id only: no secret, not even whether one is saved.
 */
export type SetupInfo = { kanka_url: string, 
/**
 * Kanka's "new client" page (`kanka_rules::new_client_page`).
 */
new_client_page: string, 
/**
 * The name to give the client in Kanka.
 */
client_name: string, 
/**
 * The redirect to register: the environment's when it sets one, else `proposed_redirect`.
 */
redirect_uri: string, 
/**
 * Set by KANKA_LINK_REDIRECT_URI: saving leaves it alone.
 */
redirect_uri_fixed: boolean, 
/**
 * The client id as configured ("" when none), to start the field with.
 */
client_id: string, client_id_fixed: boolean, client_secret_fixed: boolean, };

export type Verdict = "passed" | "setting_wrong" | "unreachable";

/**
 * What one probe found, for a line of the report.
 */
export type ProbeOutcome = { "kind": "passed" } | { "kind": "invalid_client" } | { "kind": "unauthorized_client" } | { "kind": "not_kanka", detail: string, } | { "kind": "no_answer", problem: ErrorInfo, } | { "kind": "not_asked" };

/**
 * The token endpoint's answer to a code no server issued: it tells the client id and secret.
 */
export type TokenProbe = { endpoint: string, outcome: ProbeOutcome, 
/**
 * One line for a person.
 */
summary: string, };

/**
 * The authorization endpoint's answer to a request it must refuse: it tells the client id and
 * the redirect URL.
 */
export type AuthorizeProbe = { endpoint: string, outcome: ProbeOutcome, summary: string, };

/**
 * The setup check's findings, for the window and the command line. No secret in it.
 */
export type SetupReport = { kanka_url: string, client_id: string, redirect_uri: string, token: TokenProbe, authorize: AuthorizeProbe, verdict: Verdict, 
/**
 * What is wrong and what to do, unless the check passed.
 */
problem: ErrorInfo | null, };
