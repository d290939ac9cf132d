/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Optional API origin for a build that is not served by the API itself. */
  readonly VITE_API_BASE_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
