import type { RequestHandler } from 'express';
import { validationResult } from 'express-validator';
import { RequestValidationError } from '../errors';

/**
 * Runs after express-validator chains: answers 400 with one envelope entry per invalid field
 * (the first problem of each field), or lets the request through.
 */
export const validateRequest: RequestHandler = (req, _res, next) => {
  const result = validationResult(req);
  if (!result.isEmpty()) {
    const errors = result
      .array({ onlyFirstError: true })
      .map((error) =>
        error.type === 'field' && error.path !== ''
          ? { message: String(error.msg), field: error.path }
          : { message: String(error.msg) },
      );
    throw new RequestValidationError(errors);
  }
  next();
};
