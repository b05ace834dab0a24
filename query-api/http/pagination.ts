import type { Request } from 'express';

export const MAX_PAGE_SIZE = 100;

export interface Page {
  page: number;
  size: number;
  offset: number;
}

/** ?page= (1-based) and ?size= (capped at 100; 20 by default). */
export function pageOf(req: Request): Page {
  const page = Math.max(1, Number(req.query.page ?? 1) || 1);
  const size = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(req.query.size ?? 20) || 20));
  return { page, size, offset: (page - 1) * size };
}

export function listMeta(page: Page, total: number) {
  return { total, page: page.page, size: page.size, pages: Math.ceil(total / page.size) };
}
