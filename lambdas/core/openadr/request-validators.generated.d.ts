// Types of request-validators.generated.js (written by scripts/generate-validators.ts).

export interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, any>;
  message?: string;
}

export interface RequestValidator {
  /** Validates and changes `data`: optional properties sent as null are deleted. */
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}

export const programRequest: RequestValidator;
export const eventRequest: RequestValidator;
export const subscriptionRequest: RequestValidator;
export const reportRequest: RequestValidator;
export const venRequest: RequestValidator;
export const resourceRequest: RequestValidator;
export const discriminatorTags: Record<string, string[]>;
