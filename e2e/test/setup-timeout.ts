// `testTimeout` in a project's config is ignored when Jest runs several projects (the root config): it is
// a global option there. Setting it from the project's own setup file applies it in every run.
jest.setTimeout(120_000);
