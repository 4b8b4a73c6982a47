/** Text made safe to put in HTML, inside an element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const HEAD = (title: string, nonce: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script type="importmap" nonce="${nonce}">
{"imports": {"preact": "/console/assets/preact.mjs", "preact/hooks": "/console/assets/hooks.mjs", "htm": "/console/assets/htm.mjs"}}
</script>
</head>`;

/** The sign-in form; `problem` says why the last attempt failed. */
export function loginPage(nonce: string, problem?: string): string {
  return `${HEAD('waggle console: sign in', nonce)}
<body class="login">
<main>
<h1>waggle console</h1>
<form method="post" action="/console/login" autocomplete="off">
<label for="token">Admin token (WAGGLE_ADMIN_TOKEN)</label>
<input id="token" name="token" type="password" required autofocus>
<button type="submit">Sign in</button>
${problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : ''}
</form>
</main>
</body>
</html>`;
}

/** The console's page for a signed-in operator: the app reads the CSRF token from its meta tag. */
export function consolePage(nonce: string, csrfToken: string): string {
  return `${HEAD('waggle console', nonce)}
<body>
<meta name="csrf-token" content="${escapeHtml(csrfToken)}">
<div id="app"><p class="muted">Loading…</p></div>
<script type="module" src="/console/assets/app.js"></script>
</body>
</html>`;
}
