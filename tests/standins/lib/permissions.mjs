// WordOps' permission fixer, quirks included (DESIGN §4), run after `site create` and
// `site update` of ONE site:
//  - every broken symlink anywhere under the site root is deleted;
//  - everything under htdocs is chowned to the web user the way Python's os.walk +
//    os.chown does it: symlinks are not descended into, but os.chown follows them, so
//    the TARGET of each symlink (e.g. htdocs/wp -> shared/current -> releases/wp-X)
//    changes owner.
// wofleet has to re-assert its core links and ownership after every such call.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function webUserIds(webUser) {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${webUser}:`));
  if (!line) throw new Error(`user ${webUser} does not exist`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function isBrokenLink(file) {
  try {
    fs.statSync(file);
    return false;
  } catch {
    return true;
  }
}

function deleteBrokenLinks(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      if (isBrokenLink(full)) fs.unlinkSync(full);
    } else if (entry.isDirectory()) {
      deleteBrokenLinks(full);
    }
  }
}

function chownTree(dir, ids) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    fs.chownSync(full, ids.uid, ids.gid); // follows a symlink, like os.chown
    if (entry.isDirectory()) chownTree(full, ids);
  }
}

export function fixSitePermissions(siteRoot, webUser) {
  if (!fs.existsSync(siteRoot)) return;
  deleteBrokenLinks(siteRoot);
  const htdocs = path.join(siteRoot, 'htdocs');
  if (os.userInfo().uid !== 0 || !fs.existsSync(htdocs)) return;
  const ids = webUserIds(webUser);
  fs.chownSync(htdocs, ids.uid, ids.gid);
  chownTree(htdocs, ids);
}
