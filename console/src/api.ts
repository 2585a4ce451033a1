// The console's JSON API (server/src/console): every call but sign-in carries the session cookie.

export class ApiError extends Error {
  constructor(public status: number, message: string) {
    super(message);
  }
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/console/api/${path}`, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.error ?? res.statusText);
  return data as T;
}

export interface Limits {
  custom_status_max_bytes: number;
  get_max_ids: number;
  subscribe_max_ids: number;
  subscription_max: number;
  rate_calls: number;
  rate_window_s: number;
  subscription_retention_s: number;
}

export interface Settings {
  plan: "basic" | "ultimate";
  user_status_enabled: boolean;
  friend_status_notify: boolean;
  heartbeat_timeout_s: number;
  login_policy: "multi" | "one_per_platform";
  limits: Limits;
  callback_url: string;
}

export interface UserStatus {
  user_status_identifier: string;
  user_status_status_type: number;
  user_status_custom_status: string;
  user_status_online_devices: string[];
}

export const STATUS_NAMES = ["UNKNOWN", "ONLINE", "OFFLINE", "UNLOGINED"];
