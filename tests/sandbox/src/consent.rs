//! Passport's "Authorization Request" page, self-contained, with plain forms
//! a test can submit without a browser.

use axum::response::{Html, IntoResponse, Response};

pub(crate) fn page(client_name: &str, user_name: &str, auth_token: &str) -> Response {
    let client = escape(client_name);
    let user = escape(user_name);
    let token = escape(auth_token);
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorization Request</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f4f4f7; margin: 0; }}
main {{ max-width: 30rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0, 0, 0, .12); }}
.actions {{ display: flex; gap: 1rem; }}
button {{ padding: .5rem 1.25rem; font-size: 1rem; }}
</style>
</head>
<body>
<main>
<h1>Authorization Request</h1>
<p>Signed in to the Kanka sandbox as <strong>{user}</strong>.</p>
<p><strong>{client}</strong> is requesting permission to access your account.</p>
<div class="actions">
<form method="post" action="/oauth/authorize" id="approve">
<input type="hidden" name="auth_token" value="{token}">
<button type="submit">Authorize</button>
</form>
<form method="post" action="/oauth/authorize" id="deny">
<input type="hidden" name="_method" value="DELETE">
<input type="hidden" name="auth_token" value="{token}">
<button type="submit">Cancel</button>
</form>
</div>
</main>
</body>
</html>
"#
    ))
    .into_response()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
