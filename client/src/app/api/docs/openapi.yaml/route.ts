import { API_DOCUMENT_CACHE_CONTROL, readApiDocumentText } from '@/lib/api-document';

export const dynamic = 'force-dynamic';

/** docs/openapi.yaml, byte for byte. */
export function GET(): Response {
  return new Response(readApiDocumentText(), {
    headers: { 'content-type': 'application/yaml; charset=utf-8', 'cache-control': API_DOCUMENT_CACHE_CONTROL },
  });
}
