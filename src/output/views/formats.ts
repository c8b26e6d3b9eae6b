// The forms `plan` can print in (`--format`), kept apart from the views so the CLI can list them without
// loading the views.
export const PLAN_FORMATS = ['text', 'json', 'markdown'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];
