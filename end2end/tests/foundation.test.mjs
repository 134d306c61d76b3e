// The foundation, as a person uses it: sign up, invite a teammate, see the email in
// the outbox, the teammate accepts in another browser and the owner's team page
// updates live; sign-out and sign-in; clear messages for bad input.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, arrived, launch, open, startServer } from './support.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const PASSWORD = 'correct horse battery';

async function signUp(page, name, email, workspace) {
  await open(page, server.base, '/sign-up');
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', PASSWORD);
  await page.fill('input[name="workspace_name"]', workspace);
  await page.click('button[type="submit"]');
}

test('sign up, invite, accept in a second browser, live team page, sign out and in', async () => {
  const owner = await (await browser.newContext()).newPage();
  await signUp(owner, 'Olivia Owner', 'olivia@acme.test', 'Acme Support');
  await arrived(owner, `${server.base}/app`);
  await owner.getByRole('heading', { name: 'Welcome, Olivia Owner' }).waitFor();
  await owner.getByText('Please verify your email address').waitFor();
  await owner.getByText('Invite your teammates').waitFor();
  await owner.screenshot({ path: join(SHOTS, 'home.png'), fullPage: true });

  // Invite a teammate.
  await owner.locator('nav.nav').getByRole('link', { name: 'Team', exact: true }).click();
  await owner.waitForURL(/\/app\/team$/);
  await owner.fill('input[name="email"]', 'tom@acme.test');
  await owner.selectOption('select[name="role"]', 'agent');
  await owner.getByRole('button', { name: 'Send invitation' }).click();
  await owner.getByText('Invitation sent.').waitFor();
  await owner.locator('[data-testid="invitations"]').getByText('tom@acme.test').waitFor();

  // The invitation email is in the outbox, unsent (no SMTP here) with the reason.
  await owner.locator('nav.nav').getByRole('link', { name: 'Outbox', exact: true }).click();
  const row = owner.locator('[data-testid="outbox"] tr', { hasText: 'tom@acme.test' });
  await row.waitFor();
  await row.getByText('SMTP is not configured').waitFor();
  await row.locator('summary').click();
  const body = await row.locator('pre.mail-body').textContent();
  const found = body.match(/https?:\/\/\S+\/invitations\/accept\?token=\S+/);
  assert.ok(found, `no invitation link in: ${body}`);
  const link = found[0];
  await owner.screenshot({ path: join(SHOTS, 'outbox.png'), fullPage: true });

  // Owner watches the team page while the teammate accepts elsewhere.
  await owner.locator('nav.nav').getByRole('link', { name: 'Team', exact: true }).click();
  await owner.locator('[data-testid="member-count"]', { hasText: '1' }).waitFor();
  await owner.getByText('● Live').waitFor();

  const teammate = await (await browser.newContext()).newPage();
  await open(teammate, '', link);
  await teammate.getByText('Olivia Owner invited tom@acme.test to join Acme Support as Agent.').waitFor();
  await teammate.fill('input[name="name"]', 'Tom Teammate');
  await teammate.fill('input[name="password"]', 'another good password');
  await teammate.getByRole('button', { name: 'Accept invitation' }).click();
  await arrived(teammate, /\/app\/team$/);

  // Live: no reload on the owner's side.
  await owner.locator('[data-testid="member-count"]', { hasText: '2' }).waitFor({ timeout: 10000 });
  await owner.locator('[data-testid="members"]').getByText('Tom Teammate').waitFor();
  await owner.screenshot({ path: join(SHOTS, 'team.png'), fullPage: true });

  // The activity log has the story, with IP and browser.
  await owner.locator('nav.nav').getByRole('link', { name: 'Activity log', exact: true }).click();
  await owner.locator('[data-testid="activity"]').getByText('team.invitation_accepted').waitFor();
  await owner.screenshot({ path: join(SHOTS, 'activity.png'), fullPage: true });

  // Workspace settings: rename and upload a logo.
  await owner.locator('nav.nav').getByRole('link', { name: 'Workspace settings', exact: true }).click();
  await owner.fill('input[name="name"]', 'Acme Care');
  await owner.getByRole('button', { name: 'Save' }).click();
  await owner.locator('[data-testid="workspace-name"]', { hasText: 'Acme Care' }).waitFor();
  await owner.waitForSelector('body[data-hydrated="true"]');
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAIAAAD8GO2jAAAAgElEQVR4nO3WwQ2AIAyF4U7n1f0HcA49mBACLZbyWpRIuPJ/BxIonc6L3gXs23FvJJCi0rYDj2kNIwJd9YbBA4a6ZDCAuc4aJTBYrw2C1wsjEADWc+MHtAC8noxlgO9f8hKA+1sUAaCMPBj+ow0adWrSVGEwpMjUya6B6Y+4T9cX4PxJsu2YehkAAAAASUVORK5CYII=',
    'base64',
  );
  await owner.setInputFiles('input[type="file"]', { name: 'logo.png', mimeType: 'image/png', buffer: png });
  await owner.locator('img.logo-preview').waitFor();
  await owner.locator('img.ws-logo').waitFor();
  await owner.screenshot({ path: join(SHOTS, 'settings.png'), fullPage: true });

  // The timezone was detected from the browser on the first visit.
  await open(owner, server.base, '/app/profile');
  const tz = await owner.inputValue('input[name="timezone"]');
  assert.ok(tz.length > 0, 'timezone detected from the browser');

  // Sign out, then a wrong password, then the right one.
  await owner.getByRole('button', { name: 'Sign out' }).click();
  await arrived(owner, /\/sign-in$/);
  await owner.fill('input[name="email"]', 'olivia@acme.test');
  await owner.fill('input[name="password"]', 'not my password');
  await owner.click('button[type="submit"]');
  await owner.getByText('Wrong email or password.').waitFor();
  await owner.fill('input[name="password"]', PASSWORD);
  await owner.click('button[type="submit"]');
  await arrived(owner, `${server.base}/app`);
  await owner.getByRole('heading', { name: 'Welcome, Olivia Owner' }).waitFor();
  await owner.locator('.ws-logo[src]').waitFor();
});

test('bad input gets clear messages', async () => {
  const page = await (await browser.newContext()).newPage();
  // Short password.
  await open(page, server.base, '/sign-up');
  await page.fill('input[name="name"]', 'Sam');
  await page.fill('input[name="email"]', 'sam@acme.test');
  await page.fill('input[name="password"]', 'short');
  await page.fill('input[name="workspace_name"]', 'Sam Co');
  await page.click('button[type="submit"]');
  await page.getByText('Password is too short: use at least 10 characters.').waitFor();
  await page.screenshot({ path: join(SHOTS, 'sign-up-error.png') });
  // Taken email.
  await page.fill('input[name="email"]', 'olivia@acme.test');
  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.getByText('An account with this email already exists.', { exact: false }).waitFor();
  // Expired or unknown reset token.
  await open(page, server.base, '/reset-password?token=expired-or-bogus');
  await page.fill('input[name="password"]', 'a fine new password');
  await page.click('button[type="submit"]');
  await page.getByText('This reset link has expired or was already used. Request a new one.').waitFor();
  // Unknown verification token.
  // The page checks the token with a POST (never on GET, so link scanners cannot
  // use it up); the browser logs that request's 422.
  await open(page, server.base, '/verify-email?token=nope', { allow: /status of 422 .*\/api\/verify_email/ });
  await page.getByText('This verification link has expired or was already used.', { exact: false }).waitFor();
  // Unknown invitation.
  await open(page, server.base, '/invitations/accept?token=nope');
  await page.getByText('This invitation link is not valid.', { exact: false }).waitFor();
});
