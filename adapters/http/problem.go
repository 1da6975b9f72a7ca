package httpapi

import (
	"context"
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/extguard/extguard/domain"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail,omitempty"`
	Instance string              `json:"instance,omitempty"`
	Errors   []domain.FieldError `json:"errors,omitempty"`
}

// unavailableRetryAfter is the Retry-After (seconds) of every 503: an outage
// of the database or a dependency is usually over within a few seconds (a
// restart, a failover), and clients that wait spare it a reconnect storm.
const unavailableRetryAfter = "5"

// statusClientClosed is nginx's 499: the client went away before the answer.
const statusClientClosed = 499

var codeStatus = map[domain.Code]int{
	domain.CodeInvalid:      fiber.StatusBadRequest,
	domain.CodeUnauthorized: fiber.StatusUnauthorized,
	domain.CodeForbidden:    fiber.StatusForbidden,
	domain.CodeNotFound:     fiber.StatusNotFound,
	domain.CodeConflict:     fiber.StatusConflict,
	domain.CodeRateLimited:  fiber.StatusTooManyRequests,
	domain.CodeUnavailable:  fiber.StatusServiceUnavailable,
}

// ErrorHandler is the single place errors become HTTP answers: domain codes
// map onto statuses, fiber's own errors keep theirs, and anything else is a
// 500 whose text is logged, never sent.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p := toProblem(err)
		if p.Status >= 500 && p.Status != statusClientClosed {
			log.ErrorContext(c.UserContext(), "request failed", "route", c.Route().Path, "error", err.Error())
		}
		return WriteProblem(c, p)
	}
}

func toProblem(err error) Problem {
	var de *domain.Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &de):
		status, ok := codeStatus[de.Code]
		if !ok {
			return newProblem(fiber.StatusInternalServerError, "")
		}
		p := newProblem(status, de.Message)
		p.Errors = de.Fields
		return p
	case errors.As(err, &fe):
		return newProblem(fe.Code, fe.Message)
	case errors.Is(err, context.Canceled):
		return newProblem(statusClientClosed, "the client closed the request")
	case errors.Is(err, context.DeadlineExceeded):
		return newProblem(fiber.StatusServiceUnavailable, "the request took too long")
	default:
		return newProblem(fiber.StatusInternalServerError, "")
	}
}

func newProblem(status int, detail string) Problem {
	title := utils.StatusMessage(status)
	if status == statusClientClosed {
		title = "Client Closed Request"
	}
	if title == "" {
		title = "Error"
	}
	return Problem{Type: "about:blank", Title: title, Status: status, Detail: detail}
}

// WriteProblem sends p as application/problem+json.
func WriteProblem(c *fiber.Ctx, p Problem) error {
	body, err := jsonEncode(p)
	if err != nil {
		return err
	}
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	if p.Status == fiber.StatusUnauthorized {
		// RFC 9110 11.6.1: a 401 names the scheme to retry with.
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="extguard"`)
	}
	if p.Status == fiber.StatusServiceUnavailable && len(c.Response().Header.Peek(fiber.HeaderRetryAfter)) == 0 {
		c.Set(fiber.HeaderRetryAfter, unavailableRetryAfter)
	}
	return c.Send(body)
}

// ProblemOf is the problem an error answers as: the same status and field
// errors for every adapter on the app (the console shows them beside its
// form fields).
func ProblemOf(err error) Problem { return toProblem(err) }
