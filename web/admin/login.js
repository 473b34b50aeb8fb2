// Commander Throne login: POST /admin/api/login {password} → the server sets the HttpOnly session
// cookie; the console then reads its CSRF token from GET /admin/api/session.
'use strict';

const form = document.getElementById('login-form');
const errorBox = document.getElementById('login-error');

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  errorBox.hidden = true;
  const password = document.getElementById('password').value;
  const button = document.getElementById('login');
  button.disabled = true;
  try {
    const res = await fetch('/admin/api/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ password }),
      credentials: 'same-origin',
    });
    if (res.ok) {
      location.replace('/admin/');
      return;
    }
    let message = `Login failed (HTTP ${res.status}).`;
    try {
      const body = await res.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch {
      // keep the status message
    }
    errorBox.textContent = message;
    errorBox.hidden = false;
  } catch (e) {
    errorBox.textContent = `The server cannot be reached: ${e.message}`;
    errorBox.hidden = false;
  } finally {
    button.disabled = false;
  }
});
