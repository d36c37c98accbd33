/**
 * The REST API, as any Connect client sees it. The UI is served at `<base>/ui/`, so the API is one level up; the
 * browser sends the page's credentials (TLS, Authorization) with every call, as it is the same origin.
 *
 * In a distributed cluster any worker answers: it forwards what only the leader can do. During a rebalance the
 * workers answer 409 for a moment ("...stale configuration..." / "...worker rebalance..."): those calls are retried
 * with backoff, up to about 30 s, before the error is shown.
 */
const BASE = new URL('..', import.meta.url)
const RETRIES = 12

/** An error answer: the HTTP status and Apache's `message`. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

/** Whether an answer is a rebalance in progress (Apache's 409s for that), worth trying again. */
export function isRebalance(status, message) {
  return status === 409 && /rebalance|stale configuration/i.test(message)
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Calls the API; JSON in and out. Resolves to the parsed body (undefined for 204), rejects with `ApiError`. */
export async function api(method, path, body, onRetry = () => {}) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(new URL(path.replace(/^\//, ''), BASE), {
      method,
      // X-Ferry-UI: a worker that needs credentials asks the browser for them (WWW-Authenticate) on the UI's calls only.
      headers:
        body === undefined
          ? { Accept: 'application/json', 'X-Ferry-UI': '1' }
          : { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Ferry-UI': '1' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    })
    const text = await response.text()
    let parsed
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      parsed = text
    }
    if (response.ok) return parsed
    const message = typeof parsed?.message === 'string' ? parsed.message : `HTTP ${response.status}`
    if (isRebalance(response.status, message) && attempt < RETRIES) {
      onRetry(message)
      await sleep(Math.min(250 * 2 ** attempt, 4000))
      continue
    }
    throw new ApiError(response.status, message)
  }
}

/** A path segment: a connector, plugin or logger name, percent-encoded. */
export const seg = (name) => encodeURIComponent(name)
