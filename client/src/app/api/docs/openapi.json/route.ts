import { API_DOCUMENT_CACHE_CONTROL, loadApiDocument } from '@/lib/api-document';

export const dynamic = 'force-dynamic';

/** The same document as JSON, for tools that do not read YAML. */
export function GET(): Response {
  return Response.json(loadApiDocument(), { headers: { 'cache-control': API_DOCUMENT_CACHE_CONTROL } });
}
