import { body, query } from 'express-validator';
import { isUuid } from '@ticketing/common/middleware';

/** Stripe ids are short; the bound only keeps nonsense out of the database and the request to Stripe. */
export const PAYMENT_METHOD_ID_MAX = 255;

export const orderIdField = (location: typeof body | typeof query) =>
  location('orderId').custom(isUuid).withMessage('A valid orderId is required');

export const paymentMethodIdField = () =>
  body('paymentMethodId')
    .isString()
    .withMessage('A payment method is required')
    .bail()
    .notEmpty()
    .withMessage('A payment method is required')
    .bail()
    .isLength({ max: PAYMENT_METHOD_ID_MAX })
    .withMessage(`Payment method must be at most ${PAYMENT_METHOD_ID_MAX} characters`);
