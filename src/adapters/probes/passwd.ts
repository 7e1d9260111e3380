import { readFileSync } from 'node:fs';

/**
 * getpwnam/getgrnam for `user USERNAME [GROUPNAME]` of a MISC_CHECK, read from /etc/passwd and
 * /etc/group (Node has no binding for NSS). Numeric names are taken as ids. Pure parsers apart
 * from the file reads.
 */
export function findUser(passwd: string, name: string): { uid: number; gid: number } | undefined {
  if (/^\d+$/.test(name)) {
    const uid = Number(name);
    for (const line of passwd.split('\n')) {
      const f = line.split(':');
      if (f.length >= 4 && Number(f[2]) === uid) return { uid, gid: Number(f[3]) };
    }
    return { uid, gid: uid };
  }
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 4 && f[0] === name && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!)) {
      return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  }
  return undefined;
}

export function findGroup(group: string, name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  for (const line of group.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && f[0] === name && /^\d+$/.test(f[2]!)) return Number(f[2]);
  }
  return undefined;
}

export function resolveRunAs(user: string, group?: string): { uid: number; gid: number } | { error: string } {
  let passwd = '';
  let groups = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
    groups = readFileSync('/etc/group', 'utf8');
  } catch {
    /* an empty table: only numeric ids resolve */
  }
  const u = findUser(passwd, user);
  if (!u) return { error: `unknown user ${user}` };
  if (group === undefined) return u;
  const gid = findGroup(groups, group);
  if (gid === undefined) return { error: `unknown group ${group}` };
  return { uid: u.uid, gid };
}
