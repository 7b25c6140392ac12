import { body } from 'express-validator';
import { INVALID_EMAIL_MESSAGE, isValidEmailAddress, normalizeEmailAddress } from '@ticketing/common/email';

/** 8–128 characters: long enough to resist guessing, short enough that hashing stays cheap. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/**
 * An email by the one rule the event catalog checks too (`isValidEmailAddress`), applied to the address as
 * the account will store and publish it (normalised), so a route never accepts what its event would refuse.
 */
export const emailField = (name = 'email') =>
  body(name)
    .isString()
    .withMessage(INVALID_EMAIL_MESSAGE)
    .bail()
    .custom((value: string) => isValidEmailAddress(normalizeEmailAddress(value)))
    .withMessage(INVALID_EMAIL_MESSAGE);

export const newPasswordField = (name = 'password') =>
  body(name)
    .isString()
    .withMessage(`Password must be between ${PASSWORD_MIN} and ${PASSWORD_MAX} characters`)
    .bail()
    .isLength({ min: PASSWORD_MIN, max: PASSWORD_MAX })
    .withMessage(`Password must be between ${PASSWORD_MIN} and ${PASSWORD_MAX} characters`);

/** Any non-empty string: sign-in must not reveal the password rules of an existing account. */
export const suppliedPasswordField = (name = 'password') =>
  body(name)
    .isString()
    .withMessage('You must supply a password')
    .bail()
    .notEmpty()
    .withMessage('You must supply a password')
    .isLength({ max: 1024 });
