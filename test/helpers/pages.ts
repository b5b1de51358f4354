/** Every page of a paged c1.connector.v2 listing (a call per page token until the last). */
export async function allPages<T>(page: (token: string) => Promise<{ list: T[]; nextPageToken: string }>): Promise<T[]> {
  const out: T[] = [];
  for (let token = ''; ;) {
    const r = await page(token);
    out.push(...r.list);
    if (!r.nextPageToken) return out;
    token = r.nextPageToken;
  }
}
