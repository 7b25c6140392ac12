import { body } from 'express-validator';

/** 8–128 characters: long enough to resist guessing, short enough that hashing stays cheap. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export const emailField = (name = 'email') =>
  body(name)
    .isString()
    .withMessage('Email must be valid')
    .bail()
    .trim()
    .isEmail()
    .withMessage('Email must be valid')
    .isLength({ max: 254 })
    .withMessage('Email must be valid');

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
